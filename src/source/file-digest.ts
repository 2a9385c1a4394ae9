// The sha256 of a file on disk, streamed (components can be hundreds of MiB).
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';

export async function digestOfFile(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return `sha256:${hash.digest('hex')}`;
}
