import { describe, expect, it } from 'vitest';
import * as grpc from '@grpc/grpc-js';
import { startTaskStatus, rpcStatus } from '../../src/plugin/grpc-errors.js';
import { loadStatusEncoders } from '../../src/plugin/protos.js';
import { DriverError } from '../../src/errors.js';
import { detailsOf, errorInfoOf } from './support/grpc-status.ts';

describe('StartTask error statuses', () => {
  it('marks a recoverable error: FAILED_PRECONDITION + RecoverableError{true} (08 01) first, same inner code', () => {
    const status = startTaskStatus(new DriverError('HTTP_LISTEN_FAILED', 'port busy'));
    expect(status.code).toBe(grpc.status.FAILED_PRECONDITION);
    const details = detailsOf(status);
    expect(details.code).toBe(grpc.status.FAILED_PRECONDITION);
    expect(details.message).toBe('[HTTP_LISTEN_FAILED] port busy');
    // Nomad's driver client reads only Details()[0] for the marker.
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

  it('puts the code first in the text Nomad shows and in an ErrorInfo detail for programs', () => {
    const status = startTaskStatus(new DriverError('COMPONENT_INVALID', 'local/x.wasm is not WebAssembly'));
    expect(status.details).toBe('[COMPONENT_INVALID] local/x.wasm is not WebAssembly');
    expect(errorInfoOf(status)).toEqual({
      reason: 'COMPONENT_INVALID',
      domain: 'nomad-driver-wasm',
      metadata: { recoverable: 'false' },
    });
  });

  it('labels an error that is not a DriverError DRIVER_INTERNAL_ERROR, not retried', () => {
    const status = startTaskStatus(new TypeError('x is undefined'));
    expect(status.details).toBe('[DRIVER_INTERNAL_ERROR] x is undefined');
    expect(errorInfoOf(status)).toMatchObject({ reason: 'DRIVER_INTERNAL_ERROR', metadata: { recoverable: 'false' } });
  });
});

describe('other RPC error statuses', () => {
  it('never uses UNAVAILABLE for ordinary errors', () => {
    expect(rpcStatus(new Error('x')).code).toBe(grpc.status.UNKNOWN);
    expect(rpcStatus(new DriverError('TASK_NOT_FOUND', 'gone')).code).toBe(grpc.status.NOT_FOUND);
  });

  it('carries the code in the text and in ErrorInfo, with details under the same gRPC code', () => {
    const status = rpcStatus(new DriverError('SIGNAL_UNKNOWN', 'unknown signal "SIGBOGUS"'));
    expect(status.details).toBe('[SIGNAL_UNKNOWN] unknown signal "SIGBOGUS"');
    expect(detailsOf(status).code).toBe(status.code);
    expect(errorInfoOf(status)).toMatchObject({ reason: 'SIGNAL_UNKNOWN' });
  });
});
