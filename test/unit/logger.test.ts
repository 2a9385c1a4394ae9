import { describe, expect, it } from 'vitest';
import { createLogger, hclogTimestamp, tracer } from '../../src/log/logger.js';

function capture(): { lines: Record<string, unknown>[]; write: (s: string) => void } {
  const lines: Record<string, unknown>[] = [];
  return { lines, write: (s: string) => lines.push(JSON.parse(s) as Record<string, unknown>) };
}

describe('hclog-compatible logger', () => {
  it('formats timestamps with exactly six fractional digits (Go layout)', () => {
    expect(hclogTimestamp(new Date('2026-08-21T10:00:00.123Z'))).toBe('2026-08-21T10:00:00.123000Z');
  });

  it('writes string @level, @message and @timestamp keys', () => {
    const out = capture();
    const log = createLogger({ level: 'trace', destination: out });
    log.info({ task_id: 't1' }, 'started task');
    const line = out.lines[0];
    expect(line?.['@level']).toBe('info');
    expect(line?.['@message']).toBe('started task');
    expect(line?.['@timestamp']).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
    expect(line?.['task_id']).toBe('t1');
    expect(line?.['@module']).toBe('wasm');
  });

  it('maps fatal to error, a level hclog knows', () => {
    const out = capture();
    createLogger({ destination: out }).fatal('boom');
    expect(out.lines[0]?.['@level']).toBe('error');
  });

  it('names sub-modules like grpc-js tracers', () => {
    const out = capture();
    tracer(createLogger({ destination: out }), 'task').warn('x');
    expect(out.lines[0]?.['@module']).toBe('wasm.task');
    expect(out.lines[0]?.['@level']).toBe('warn');
  });
});
