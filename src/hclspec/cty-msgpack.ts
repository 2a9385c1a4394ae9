// Decoder for the go-cty msgpack encoding Nomad uses for config blocks
// (`TaskConfig.msgpack_driver_config`, `SetConfigRequest.msgpack_config`).
//
// go-cty specifics handled here:
//  - unknown values arrive as msgpack extension 0 (or 12 when "refined");
//    they must never be mistaken for real data, so they decode to UNKNOWN;
//  - integers beyond 2^53 decode as bigint instead of silently losing digits;
//  - numbers that are not exact in binary arrive as decimal *strings*; the
//    schema-aware readers in src/config/config-reader.ts convert them;
//  - a value declared as `any` may arrive as [bin(type JSON), value].
import { decode, ExtensionCodec } from '@msgpack/msgpack';

export const UNKNOWN: unique symbol = Symbol('cty.unknown');

export type CtyValue =
  null | boolean | number | bigint | string | typeof UNKNOWN | CtyValue[] | { [key: string]: CtyValue };

const CTY_UNKNOWN_EXT = 0;
const CTY_REFINED_UNKNOWN_EXT = 0x0c;

const codec = new ExtensionCodec();
for (const type of [CTY_UNKNOWN_EXT, CTY_REFINED_UNKNOWN_EXT]) {
  codec.register({ type, encode: () => null, decode: () => UNKNOWN });
}

export class CtyDecodeError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'CtyDecodeError';
  }
}

/** Decodes one cty msgpack value. Throws CtyDecodeError on malformed bytes. */
export function decodeCtyMsgpack(bytes: Uint8Array): CtyValue {
  let raw: unknown;
  try {
    raw = decode(bytes, { extensionCodec: codec, useBigInt64: true });
  } catch (err) {
    throw new CtyDecodeError(`config is not valid msgpack: ${(err as Error).message}`, { cause: err });
  }
  return normalise(raw, '');
}

function normalise(raw: unknown, path: string): CtyValue {
  if (raw === null || raw === undefined) return null;
  if (raw === UNKNOWN) return UNKNOWN;
  switch (typeof raw) {
    case 'boolean':
    case 'number':
    case 'string':
      return raw;
    case 'bigint':
      // Keep precision only where it is really needed.
      return Number.isSafeInteger(Number(raw)) ? Number(raw) : raw;
  }
  if (Array.isArray(raw)) {
    // DynamicPseudoType: [bin8 type-JSON, value]. Nomad marshals with the
    // concrete type so this does not occur in practice, but it is legal.
    if (raw.length === 2 && raw[0] instanceof Uint8Array) return normalise(raw[1], path);
    return raw.map((item, i) => normalise(item, `${path}[${i}]`));
  }
  if (raw instanceof Uint8Array) {
    throw new CtyDecodeError(`unexpected binary value at ${path || 'top level'}`);
  }
  if (raw instanceof Map) {
    throw new CtyDecodeError(`unexpected non-string map keys at ${path || 'top level'}`);
  }
  if (typeof raw === 'object') {
    const out: { [key: string]: CtyValue } = {};
    for (const [key, value] of Object.entries(raw as Record<string, unknown>)) {
      out[key] = normalise(value, path ? `${path}.${key}` : key);
    }
    return out;
  }
  throw new CtyDecodeError(`unsupported value of type ${typeof raw} at ${path || 'top level'}`);
}
