// Turns driver errors into gRPC statuses the Nomad client understands.
//
// Nomad ignores StartTaskResponse.result; only the gRPC status counts. A
// plain error is final ("Error was unrecoverable"). To let the job's restart
// policy retry, the status must be FAILED_PRECONDITION carrying a
// google.rpc.Status detail with a RecoverableError{recoverable} message, and
// the code inside must equal the outer code or grpc-go drops the details.
import * as grpc from '@grpc/grpc-js';
import { describeError, isDriverError } from '../errors.js';
import { loadStatusEncoders } from './protos.js';

const RECOVERABLE_ERROR_TYPE_URL = 'type.googleapis.com/hashicorp.nomad.plugins.shared.structs.RecoverableError';

let encoders: ReturnType<typeof loadStatusEncoders> | undefined;

/**
 * A status for a failed StartTask, with Nomad's recoverable/unrecoverable
 * marker; the message (Nomad's "Driver Failure" event) starts with the code.
 */
export function startTaskStatus(err: unknown): Partial<grpc.StatusObject> {
  const message = isDriverError(err) ? `[${err.code}] ${err.message}` : describeError(err);
  const recoverable = isDriverError(err) && err.recoverable;
  encoders ??= loadStatusEncoders();
  const detail = encoders.recoverableError.encode({ recoverable }).finish();
  const status = encoders.status
    .encode({
      code: grpc.status.FAILED_PRECONDITION,
      message,
      details: [{ type_url: RECOVERABLE_ERROR_TYPE_URL, value: detail }],
    })
    .finish();
  const metadata = new grpc.Metadata();
  metadata.set('grpc-status-details-bin', Buffer.from(status));
  return { code: grpc.status.FAILED_PRECONDITION, details: message, metadata };
}

/**
 * Any other failed RPC. Never UNAVAILABLE: Nomad reads that as "plugin
 * died" and waits 3 s to check the process.
 */
export function rpcStatus(err: unknown): Partial<grpc.StatusObject> {
  const code = isDriverError(err, 'TASK_NOT_FOUND') ? grpc.status.NOT_FOUND : grpc.status.UNKNOWN;
  return { code, details: isDriverError(err) ? `[${err.code}] ${err.message}` : describeError(err) };
}
