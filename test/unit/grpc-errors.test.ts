import { describe, expect, it } from 'vitest';
import * as grpc from '@grpc/grpc-js';
import { startTaskStatus, rpcStatus } from '../../src/plugin/grpc-errors.js';
import { loadStatusEncoders } from '../../src/plugin/protos.js';
import { DriverError } from '../../src/errors.js';

function detailsOf(status: Partial<grpc.StatusObject>): {
  code: number;
  message: string;
  details: { type_url: string; value: Uint8Array }[];
} {
  const raw = status.metadata?.get('grpc-status-details-bin')[0];
  if (!(raw instanceof Buffer)) throw new Error('no status details');
  const { status: Status } = loadStatusEncoders();
  return Status.toObject(Status.decode(raw), { defaults: true }) as ReturnType<typeof detailsOf>;
}

describe('StartTask error statuses', () => {
  it('marks a recoverable error: FAILED_PRECONDITION + RecoverableError{true} (08 01), same inner code', () => {
    const status = startTaskStatus(new DriverError('HTTP_LISTEN_FAILED', 'port busy'));
    expect(status.code).toBe(grpc.status.FAILED_PRECONDITION);
    const details = detailsOf(status);
    expect(details.code).toBe(grpc.status.FAILED_PRECONDITION);
    expect(details.message).toBe('[HTTP_LISTEN_FAILED] port busy');
    expect(details.details[0]?.type_url).toBe(
      'type.googleapis.com/hashicorp.nomad.plugins.shared.structs.RecoverableError',
    );
    expect(Buffer.from(details.details[0]?.value ?? []).toString('hex')).toBe('0801');
  });

  it('marks config errors unrecoverable: RecoverableError{recoverable:false}', () => {
    const details = detailsOf(startTaskStatus(new DriverError('COMPONENT_NOT_FOUND', 'missing')));
    const { recoverableError } = loadStatusEncoders();
    const decoded = recoverableError.toObject(recoverableError.decode(details.details[0]?.value ?? new Uint8Array()), {
      defaults: true,
    });
    expect(decoded).toEqual({ recoverable: false });
  });

  it('never uses UNAVAILABLE for ordinary errors', () => {
    expect(rpcStatus(new Error('x')).code).toBe(grpc.status.UNKNOWN);
    expect(rpcStatus(new DriverError('TASK_NOT_FOUND', 'gone')).code).toBe(grpc.status.NOT_FOUND);
  });
});
