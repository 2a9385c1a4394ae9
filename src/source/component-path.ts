// Resolves the job's `component` path inside the task directory, refusing
// anything that leaves it (absolute paths, `..`, symlinks pointing out).
import { realpath, stat } from 'node:fs/promises';
import { isAbsolute, join, sep } from 'node:path';
import { DriverError } from '../errors.js';

export async function resolveComponentPath(taskDir: string, component: string): Promise<string> {
  if (isAbsolute(component)) {
    throw new DriverError(
      'COMPONENT_PATH_ESCAPE',
      `component "${component}" must be a path relative to the task dir (e.g. local/app.wasm)`,
    );
  }
  const root = await realpath(taskDir).catch((err: unknown) => {
    throw new DriverError('COMPONENT_NOT_FOUND', `task dir ${taskDir} does not exist`, { cause: err });
  });
  // Lexically first: `../x` must be refused as an escape even when the target
  // does not exist (otherwise the user would read "not found").
  if (!join(root, component).startsWith(root + sep)) {
    throw new DriverError('COMPONENT_PATH_ESCAPE', `component "${component}" resolves outside the task dir`);
  }
  let resolved: string;
  try {
    resolved = await realpath(join(root, component));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new DriverError(
        'COMPONENT_NOT_FOUND',
        `component "${component}" not found in the task dir (${join(taskDir, component)}); fetch it with an artifact block into local/`,
        { cause: err },
      );
    }
    throw new DriverError('COMPONENT_NOT_FOUND', `component "${component}" cannot be read: ${(err as Error).message}`, {
      cause: err,
    });
  }
  // Then physically: a symlink inside the task dir may point out of it.
  if (!resolved.startsWith(root + sep)) {
    throw new DriverError('COMPONENT_PATH_ESCAPE', `component "${component}" resolves outside the task dir`);
  }
  const info = await stat(resolved);
  if (!info.isFile()) throw new DriverError('COMPONENT_NOT_FOUND', `component "${component}" is not a regular file`);
  return resolved;
}
