// Resolves the job's `mount` blocks to real host directories.
//
// A source must name a directory under the task's `local/` or `secrets/`,
// or the allocation's shared `alloc/data`; nothing else of the node is
// reachable. `..` and symlinks that lead out of those roots are refused.
import { realpath, stat } from 'node:fs/promises';
import { isAbsolute, join, normalize, posix, relative, sep } from 'node:path';
import { DriverError } from '../errors.js';
import type { MountConfig } from '../config/task-config.js';
import type { Mount } from '../wasi/filesystem.js';

/** Mountable roots: the first path segment(s) of a source and where they live. */
function rootOf(source: string, taskDir: string, allocDir: string): { base: string; rest: string } | undefined {
  const [first, second, ...rest] = source.split('/');
  if (first === 'local' || first === 'secrets')
    return { base: join(taskDir, first), rest: [second, ...rest].filter(Boolean).join('/') };
  if (first === 'alloc' && second === 'data') return { base: join(allocDir, 'alloc', 'data'), rest: rest.join('/') };
  return undefined;
}

function inside(root: string, path: string): boolean {
  const rel = relative(root, path);
  return rel === '' || (!rel.startsWith(`..${sep}`) && rel !== '..' && !isAbsolute(rel));
}

function invalid(index: number, message: string): DriverError {
  return new DriverError('TASK_CONFIG_INVALID', `invalid task config: config field "mount[${index}]": ${message}`);
}

export async function resolveMounts(
  mounts: readonly MountConfig[],
  taskDir: string,
  allocDir: string,
): Promise<Mount[]> {
  const seen = new Set<string>();
  const resolved: Mount[] = [];
  for (const [index, mount] of mounts.entries()) {
    if (mount.source.startsWith('/') || mount.source.split('/').includes('..')) {
      throw new DriverError(
        'MOUNT_ESCAPE',
        `mount[${index}]: source "${mount.source}" must be a relative path without "..", inside local/, secrets/ or alloc/data`,
      );
    }
    const root = rootOf(normalize(mount.source).replace(/\/$/, ''), taskDir, allocDir);
    if (!root)
      throw new DriverError(
        'MOUNT_ESCAPE',
        `mount[${index}]: source "${mount.source}" is not inside local/, secrets/ or alloc/data`,
      );
    const destination = posix.normalize(mount.destination);
    if (!destination.startsWith('/') || destination === '/')
      throw invalid(index, `destination "${mount.destination}" must be an absolute path other than "/"`);
    if (seen.has(destination)) throw invalid(index, `destination "${destination}" is mounted twice`);
    seen.add(destination);

    const realBase = await realpath(root.base).catch((err: unknown) => {
      throw new DriverError('MOUNT_SOURCE_MISSING', `mount[${index}]: ${root.base} does not exist`, { cause: err });
    });
    const hostPath = await realpath(join(root.base, root.rest)).catch((err: unknown) => {
      throw new DriverError(
        'MOUNT_SOURCE_MISSING',
        `mount[${index}]: source "${mount.source}" does not exist in the task dir (create it with a template or artifact, or in an earlier task)`,
        { cause: err },
      );
    });
    if (!inside(realBase, hostPath))
      throw new DriverError(
        'MOUNT_ESCAPE',
        `mount[${index}]: source "${mount.source}" leads out of ${root.base} through a symlink`,
      );
    if (!(await stat(hostPath)).isDirectory()) throw invalid(index, `source "${mount.source}" is not a directory`);
    resolved.push({ guestPath: destination, hostPath, readOnly: mount.readOnly });
  }
  return resolved;
}
