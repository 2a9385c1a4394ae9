// Turns driver errors into gRPC statuses the Nomad client understands.
//
// Nomad ignores StartTaskResponse.result; only the gRPC status counts. A
// plain error is final ("Error was unrecoverable"). To let the job's restart
// policy retry, the status must be FAILED_PRECONDITION carrying a
// google.rpc.Status detail with a RecoverableError{recoverable} message, and
// the code inside must equal the outer code or grpc-go drops the details.
//
// Where the code goes: Nomad 1.6's driver client reads only the first
// detail (plugins/drivers/client.go StartTask: Details()[0] as
// RecoverableError) and keeps nothing but the error text, which becomes the
// "Driver Failure" event as `rpc error: code = FailedPrecondition desc =
// <details>`. So the text starts with `[CODE]` for people, and a second
// detail, google.rpc.ErrorInfo{reason: CODE}, serves programs that read
// the status themselves.
import * as grpc from '@grpc/grpc-js';
import { codedMessage, errorCodeOf, isDriverError } from '../errors.js';
import { loadStatusEncoders } from './protos.js';

const RECOVERABLE_ERROR_TYPE_URL = 'type.googleapis.com/hashicorp.nomad.plugins.shared.structs.RecoverableError';
const ERROR_INFO_TYPE_URL = 'type.googleapis.com/google.rpc.ErrorInfo';
/** ErrorInfo.domain: whose catalogue the reason comes from (README "Error codes"). */
export const ERROR_DOMAIN = 'nomad-driver-wasm';

let encoders: ReturnType<typeof loadStatusEncoders> | undefined;

interface Detail {
  readonly type_url: string;
  readonly value: Uint8Array;
}

function errorInfoDetail(err: unknown): Detail {
  encoders ??= loadStatusEncoders();
  const recoverable = isDriverError(err) && err.recoverable;
  const value = encoders.errorInfo
    .encode({ reason: errorCodeOf(err), domain: ERROR_DOMAIN, metadata: { recoverable: String(recoverable) } })
    .finish();
  return { type_url: ERROR_INFO_TYPE_URL, value };
}

/** A status whose `grpc-status-details-bin` trailer carries `details`; grpc-go keeps them only if the codes agree. */
function statusWithDetails(code: grpc.status, message: string, details: readonly Detail[]): Partial<grpc.StatusObject> {
  encoders ??= loadStatusEncoders();
  const status = encoders.status.encode({ code, message, details }).finish();
  const metadata = new grpc.Metadata();
  metadata.set('grpc-status-details-bin', Buffer.from(status));
  return { code, details: message, metadata };
}

/** A status for a failed StartTask, with Nomad's recoverable/unrecoverable marker first and the code after it. */
export function startTaskStatus(err: unknown): Partial<grpc.StatusObject> {
  encoders ??= loadStatusEncoders();
  const recoverable = isDriverError(err) && err.recoverable;
  const marker = encoders.recoverableError.encode({ recoverable }).finish();
  return statusWithDetails(grpc.status.FAILED_PRECONDITION, codedMessage(err), [
    { type_url: RECOVERABLE_ERROR_TYPE_URL, value: marker },
    errorInfoDetail(err),
  ]);
}

/**
 * Any other failed RPC. Never UNAVAILABLE: Nomad reads that as "plugin
 * died" and waits 3 s to check the process.
 */
export function rpcStatus(
  err: unknown,
  code: grpc.status = isDriverError(err, 'TASK_NOT_FOUND') ? grpc.status.NOT_FOUND : grpc.status.UNKNOWN,
): Partial<grpc.StatusObject> {
  return statusWithDetails(code, codedMessage(err), [errorInfoDetail(err)]);
}
