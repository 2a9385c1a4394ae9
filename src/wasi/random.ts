// wasi:random. Secure randomness from the host's CSPRNG; the "insecure"
// interfaces get the same source (cheap enough, and never weaker).
import { randomBytes, randomFillSync } from 'node:crypto';

export const MAX_RANDOM_BYTES = 1 << 20;

function bytes(len: bigint): Uint8Array {
  if (len > BigInt(MAX_RANDOM_BYTES))
    throw new RangeError(`get-random-bytes: ${len} bytes requested, at most ${MAX_RANDOM_BYTES} per call`);
  return randomFillSync(new Uint8Array(Number(len)));
}

function u64(): bigint {
  return randomBytes(8).readBigUInt64LE();
}

export const randomInterfaces = {
  'wasi:random/random': { getRandomBytes: bytes, getRandomU64: u64 },
  'wasi:random/insecure': { getInsecureRandomBytes: bytes, getInsecureRandomU64: u64 },
  'wasi:random/insecure-seed': { insecureSeed: (): [bigint, bigint] => [u64(), u64()] },
};
