// The exec refusal must reach `nomad alloc exec` whole, code first: Nomad
// forwards it as a websocket close reason, which holds at most 123 bytes
// (the e2e suite checks what the real CLI prints).
import { describe, expect, it } from 'vitest';
import {
  EXEC_REFUSAL,
  SCRIPT_CHECK_REFUSAL,
  WEBSOCKET_CLOSE_REASON_MAX_BYTES,
  execRefusalStatus,
  grpcGoErrorText,
} from '../../src/plugin/exec-refusal.ts';
import { errorInfoOf } from './support/grpc-status.ts';

describe('exec refusal', () => {
  it('is an Unimplemented status whose text starts with [EXEC_NOT_SUPPORTED] and whose details carry the code', () => {
    const status = execRefusalStatus();
    expect(status.code).toBe(12); // UNIMPLEMENTED
    expect(status.details).toBe(`[EXEC_NOT_SUPPORTED] ${EXEC_REFUSAL}`);
    expect(errorInfoOf(status)).toEqual({
      reason: 'EXEC_NOT_SUPPORTED',
      domain: 'nomad-driver-wasm',
      metadata: { recoverable: 'false' },
    });
  });

  it('fits a websocket close frame as grpc-go prints it', () => {
    const text = grpcGoErrorText(execRefusalStatus());
    expect(text).toBe(`rpc error: code = Unimplemented desc = [EXEC_NOT_SUPPORTED] ${EXEC_REFUSAL}`);
    expect(Buffer.byteLength(text)).toBeLessThanOrEqual(WEBSOCKET_CLOSE_REASON_MAX_BYTES);
  });

  it('names the alternative for script checks (not sent over a websocket, so it may be longer)', () => {
    expect(execRefusalStatus(SCRIPT_CHECK_REFUSAL).details).toBe(`[EXEC_NOT_SUPPORTED] ${SCRIPT_CHECK_REFUSAL}`);
  });
});
