// The exec refusal must reach `nomad alloc exec` whole: Nomad forwards it
// as a websocket close reason, which holds at most 123 bytes.
import { describe, expect, it } from 'vitest';
import {
  EXEC_REFUSAL,
  WEBSOCKET_CLOSE_REASON_MAX_BYTES,
  execRefusalStatus,
  grpcGoErrorText,
} from '../../src/plugin/exec-refusal.ts';

describe('exec refusal', () => {
  it('is an Unimplemented status carrying the refusal text', () => {
    const status = execRefusalStatus();
    expect(status.code).toBe(12); // UNIMPLEMENTED
    expect(status.details).toBe(EXEC_REFUSAL);
  });

  it('fits a websocket close frame as grpc-go prints it', () => {
    const text = grpcGoErrorText(execRefusalStatus());
    expect(text).toBe(`rpc error: code = Unimplemented desc = ${EXEC_REFUSAL}`);
    expect(Buffer.byteLength(text)).toBeLessThanOrEqual(WEBSOCKET_CLOSE_REASON_MAX_BYTES);
  });
});
