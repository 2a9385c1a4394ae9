// Why `nomad alloc exec` (and script checks, which use ExecTask) cannot run
// in a Wasm task, worded to survive Nomad's path to the user.
//
// The CLI talks to the agent over a websocket; the agent forwards an exec
// error as the reason of the websocket close frame (command/agent/
// alloc_endpoint.go, Nomad 1.6 through 1.11), and a close frame holds at
// most 123 bytes of reason. A longer error is silently not sent and the user
// sees "failed to exec into task: unexpected EOF". The reason Nomad sends is
// the gRPC error text, "rpc error: code = Unimplemented desc = [EXEC_NOT_SUPPORTED] <ours>":
// the whole must fit (a unit test checks it).
import * as grpc from '@grpc/grpc-js';
import { DriverError } from '../errors.js';
import { rpcStatus } from './grpc-errors.js';

export const EXEC_REFUSAL = 'exec is not supported for Wasm tasks (a component has no shell)';

/**
 * What a `script` check shows (Consul's or Nomad's check output): Nomad runs
 * script checks through the driver's non-streaming ExecTask, which nothing
 * else calls, so its refusal can name the alternative.
 */
export const SCRIPT_CHECK_REFUSAL =
  'exec is not supported for Wasm tasks, so script checks cannot run (a component has no shell): use an http or tcp check on the service port';

/** The longest reason a websocket close frame can carry (RFC 6455: 125 bytes, 2 of them the code). */
export const WEBSOCKET_CLOSE_REASON_MAX_BYTES = 123;

export function execRefusalStatus(message: string = EXEC_REFUSAL): Partial<grpc.StatusObject> {
  return rpcStatus(new DriverError('EXEC_NOT_SUPPORTED', message), grpc.status.UNIMPLEMENTED);
}

/** What grpc-go's status error prints, which is what Nomad forwards. */
export function grpcGoErrorText(status: Partial<grpc.StatusObject>): string {
  const name = Object.entries(grpc.status).find(([, value]) => value === status.code)?.[0] ?? 'Unknown';
  // grpc-go spells codes in CamelCase: UNIMPLEMENTED -> Unimplemented.
  const camel = name.toLowerCase().replace(/(^|_)([a-z])/g, (_m, _sep: string, c: string) => c.toUpperCase());
  return `rpc error: code = ${camel} desc = ${status.details ?? ''}`;
}
