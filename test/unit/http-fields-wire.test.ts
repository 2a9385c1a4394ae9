// Header values on their way to node:http: bytes pass through one character
// per byte (node:http writes header strings as latin1), and values the host
// received stay text until a guest reads them as bytes.
import { describe, expect, it } from 'vitest';
import { Fields } from '../../src/wasi/http-fields.ts';

describe('Fields on the wire', () => {
  it('hands node:http one character per byte, non-ASCII bytes included', () => {
    const fields = Fields.fromList([
      ['x-plain', new TextEncoder().encode('text/plain')],
      ['x-bytes', Uint8Array.of(0x63, 0x61, 0x66, 0xc3, 0xa9)],
      ['x-bytes', Uint8Array.of(0xff)],
    ]);
    expect(fields.toNodeHeaderList()).toEqual([
      'x-plain',
      'text/plain',
      'x-bytes',
      'caf\u00c3\u00a9',
      'x-bytes',
      '\u00ff',
    ]);
    expect(fields.toNodeHeaderPairs()).toEqual([
      ['x-plain', 'text/plain'],
      ['x-bytes', 'caf\u00c3\u00a9'],
      ['x-bytes', '\u00ff'],
    ]);
  });

  it('gives a guest the bytes of a value the host received as text, and node:http the text', () => {
    const fields = Fields.fromHost(
      [
        ['Accept', 'text/html'],
        ['X-Multi', 'a'],
        ['x-multi', 'b'],
      ],
      true,
    );
    expect(fields.get('accept')).toEqual([new TextEncoder().encode('text/html')]);
    expect(fields.entries().map(([name, value]) => [name, new TextDecoder().decode(value)])).toEqual([
      ['accept', 'text/html'],
      ['x-multi', 'a'],
      ['x-multi', 'b'],
    ]);
    expect(fields.clone().toNodeHeaderList()).toEqual(['accept', 'text/html', 'x-multi', 'a', 'x-multi', 'b']);
    expect(() => fields.append('x-new', Uint8Array.of(0x61))).toThrow(
      expect.objectContaining({ tag: 'immutable' }) as Error,
    );
  });
});
