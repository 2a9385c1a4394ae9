// Nomad mounts a tmpfs on each task's secrets/ (and private/) when it runs
// as root; an agent that is stopped or crashes can leave them behind.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

/** Unmounts everything mounted below dir, deepest first. */
export function unmountBelow(dir: string): void {
  const mounts = readFileSync('/proc/mounts', 'utf8')
    .split('\n')
    .map((line) => line.split(' ')[1] ?? '')
    .filter((mount) => mount.startsWith(dir))
    .sort((a, b) => b.length - a.length);
  for (const mount of mounts) execFileSync('umount', ['-l', mount]);
}
