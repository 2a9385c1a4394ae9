// wasi:random@0.3: the 0.2 host's source (src/wasi/random.ts), 0.3's names.
// 0.3 asks for *at most* `max-len` bytes, so a large request gets the
// host's per-call maximum instead of a trap.
import { MAX_RANDOM_BYTES, randomInterfaces } from '../wasi/random.js';
import { p3Key } from './versions.js';

const { getRandomBytes: bytes, getRandomU64 } = randomInterfaces['wasi:random/random'];
const { insecureSeed } = randomInterfaces['wasi:random/insecure-seed'];
const CAP = BigInt(MAX_RANDOM_BYTES);

const getRandomBytes = (maxLen: bigint): Uint8Array => bytes(maxLen > CAP ? CAP : maxLen);

export const randomP3Interfaces: Record<string, object> = {
  [p3Key('wasi:random/random')]: { getRandomBytes, getRandomU64 },
  [p3Key('wasi:random/insecure')]: { getInsecureRandomBytes: getRandomBytes, getInsecureRandomU64: getRandomU64 },
  [p3Key('wasi:random/insecure-seed')]: { getInsecureSeed: insecureSeed },
};
