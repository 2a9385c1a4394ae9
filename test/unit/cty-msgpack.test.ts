// Byte vectors produced by go-cty's msgpack marshaller (protocol notes §4 and Appendix B).
import { describe, expect, it } from 'vitest';
import { decodeCtyMsgpack, UNKNOWN, CtyDecodeError } from '../../src/hclspec/cty-msgpack.js';

const hex = (s: string): Uint8Array => Buffer.from(s.replace(/\s+/g, ''), 'hex');

describe('decodeCtyMsgpack', () => {
  it.each([
    ['00', 0],
    ['7f', 127],
    ['cc80', 128],
    ['ccff', 255],
    ['cd0100', 256],
    ['ce00010000', 65536],
    ['ff', -1],
    ['d0df', -33],
    ['cb3ff8000000000000', 1.5],
    ['a3302e31', '0.1'],
  ])('decodes %s as %s', (bytes, expected) => {
    expect(decodeCtyMsgpack(hex(bytes))).toBe(expected);
  });

  it('keeps integers beyond 2^53 exact as bigint', () => {
    expect(decodeCtyMsgpack(hex('cf7fffffffffffffff'))).toBe(9223372036854775807n);
  });

  it('decodes an unknown value (ext 0) to the UNKNOWN marker, not to data', () => {
    expect(decodeCtyMsgpack(hex('d40000'))).toBe(UNKNOWN);
  });

  it('decodes sets, tuples and null', () => {
    expect(decodeCtyMsgpack(hex('92a161a162'))).toEqual(['a', 'b']);
    expect(decodeCtyMsgpack(hex('92a161c3'))).toEqual(['a', true]);
    expect(decodeCtyMsgpack(hex('c0'))).toBeNull();
  });

  it('decodes the worked example of a task config (73 bytes)', () => {
    const bytes = hex(
      '84a9616c6c6f775f6e657491af6578616d706c652e636f6d3a343433a46172677392a22d76a178a9636f6d706f6e656e74aa68656c6c6f2e7761736da3656e7682a141a131a142a132',
    );
    expect(bytes.length).toBe(73);
    expect(decodeCtyMsgpack(bytes)).toEqual({
      allow_net: ['example.com:443'],
      args: ['-v', 'x'],
      component: 'hello.wasm',
      env: { A: '1', B: '2' },
    });
  });

  it('unwraps a DynamicPseudoType value [type JSON, value]', () => {
    const typeJson = Buffer.from('["object",{"a":"string","n":"number"}]');
    const bytes = Buffer.concat([hex('92c4'), Buffer.from([typeJson.length]), typeJson, hex('82a161a178a16e02')]);
    expect(decodeCtyMsgpack(bytes)).toEqual({ a: 'x', n: 2 });
  });

  it('rejects bytes that are not msgpack with a CtyDecodeError', () => {
    expect(() => decodeCtyMsgpack(hex('c1'))).toThrow(CtyDecodeError);
  });
});
