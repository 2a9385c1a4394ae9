// The component path must stay inside the task dir: lexically and through symlinks.
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveComponentPath } from '../../src/source/component-path.js';
import { DriverError } from '../../src/errors.js';

let taskDir: string;

beforeAll(async () => {
  taskDir = await mkdtemp(join(tmpdir(), 'taskdir-'));
  await mkdir(join(taskDir, 'local'));
  await writeFile(join(taskDir, 'local/app.wasm'), 'x');
  await symlink('/etc/hostname', join(taskDir, 'local/out.wasm'));
});
afterAll(async () => rm(taskDir, { recursive: true, force: true }));

async function codeOf(component: string): Promise<string> {
  try {
    await resolveComponentPath(taskDir, component);
    return 'resolved';
  } catch (err) {
    return (err as DriverError).code;
  }
}

describe('resolveComponentPath', () => {
  it('resolves a file inside the task dir', async () => {
    expect(await resolveComponentPath(taskDir, 'local/app.wasm')).toMatch(/\/local\/app\.wasm$/);
  });

  it.each([
    ['a `..` path to an existing file', '../../../../../etc/hostname', 'COMPONENT_PATH_ESCAPE'],
    ['a `..` path to a file that does not exist', '../../nothing/here.wasm', 'COMPONENT_PATH_ESCAPE'],
    ['an absolute path', '/etc/hostname', 'COMPONENT_PATH_ESCAPE'],
    ['a symlink pointing out', 'local/out.wasm', 'COMPONENT_PATH_ESCAPE'],
    ['a missing file inside', 'local/missing.wasm', 'COMPONENT_NOT_FOUND'],
    ['a directory', 'local', 'COMPONENT_NOT_FOUND'],
  ])('refuses %s', async (_what, component, code) => {
    expect(await codeOf(component)).toBe(code);
  });
});
