// The regular files of a (gzipped) tar archive, as `opa build` writes its
// bundles: ustar headers of 512 bytes (POSIX or GNU), names up to 100 bytes
// plus the ustar prefix, PAX extended headers for longer ones. Enough for OPA bundles;
// anything else in the archive (directories, links) is skipped.
import { gunzipSync } from 'node:zlib';

const BLOCK = 512;
const USTAR = Buffer.from('ustar');

export function tarFiles(archive: Buffer): Map<string, Buffer> {
  const tar = archive[0] === 0x1f && archive[1] === 0x8b ? gunzipSync(archive) : archive;
  if (tar.length < BLOCK) throw new RangeError('not a tar archive (shorter than one header)');
  const files = new Map<string, Buffer>();
  let offset = 0;
  let paxPath: string | undefined;
  while (offset + BLOCK <= tar.length) {
    const header = tar.subarray(offset, offset + BLOCK);
    if (header.every((b) => b === 0)) break; // end of archive
    if (!header.subarray(257, 262).equals(USTAR)) throw new RangeError('not a tar archive (no ustar header)');
    const size = parseOctal(header.subarray(124, 136));
    const type = String.fromCharCode(header[156] ?? 0);
    const body = tar.subarray(offset + BLOCK, offset + BLOCK + size);
    if (body.length < size) throw new RangeError('tar archive is truncated');
    offset += BLOCK + Math.ceil(size / BLOCK) * BLOCK;
    if (type === 'x') {
      paxPath = /(?:^|\n)\d+ path=([^\n]*)\n/.exec(body.toString('utf8'))?.[1];
      continue;
    }
    if (type !== '0' && type !== '\0') {
      paxPath = undefined;
      continue;
    }
    const name = cString(header.subarray(0, 100));
    const prefix = cString(header.subarray(345, 500));
    const path = paxPath ?? (prefix ? `${prefix}/${name}` : name);
    paxPath = undefined;
    files.set(path.replace(/^\.?\//, ''), Buffer.from(body));
  }
  return files;
}

function cString(bytes: Buffer): string {
  const end = bytes.indexOf(0);
  return bytes.subarray(0, end < 0 ? bytes.length : end).toString('utf8');
}

function parseOctal(bytes: Buffer): number {
  const text = cString(bytes).trim();
  if (!/^[0-7]*$/.test(text)) throw new RangeError(`tar header has a bad size field ${JSON.stringify(text)}`);
  return text === '' ? 0 : parseInt(text, 8);
}
