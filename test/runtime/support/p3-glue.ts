// For the tests of the rewrites of jco's WASI 0.3 glue: the glue jco really
// generates for a test component, and a probe run in a process started
// like a task host (the JSPI flags), for what must be measured there.
import { spawnSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { transpile } from '@bytecodealliance/jco';
import { expect } from 'vitest';
import { HOST_NODE_FLAGS } from '../../../src/ipc/host-node-flags.ts';
import { p3ImportMap } from '../../../src/wasi-p3/versions.ts';
import { COMPONENTS } from './task-host.ts';

/** The built driver, for probes to import from. */
export const DIST = new URL('../../../dist/', import.meta.url).href;

const glues = new Map<string, Promise<string>>();

/** jco's glue for a test component, transpiled as component-cache.ts does (once per test file). */
export function jcoGlueOf(name: string): Promise<string> {
  let glue = glues.get(name);
  if (!glue) {
    glue = readFile(join(COMPONENTS, `${name}.wasm`))
      .then((bytes) =>
        transpile(bytes, {
          name: 'component',
          instantiation: 'async',
          noTypescript: true,
          quiet: true,
          map: p3ImportMap(),
        }),
      )
      .then((output) => Buffer.from(output.files['component.js'] as Uint8Array).toString('utf8'));
    glues.set(name, glue);
  }
  return glue;
}

/** Runs an ES module `probe` with the task host's Node flags; it must exit 0 and print JSON last. */
export function runProbe<T>(probe: string): T {
  const run = spawnSync(process.execPath, [...HOST_NODE_FLAGS, '--input-type=module', '-e', probe], {
    encoding: 'utf8',
    timeout: 120_000,
  });
  expect(run.status, run.stderr).toBe(0);
  return JSON.parse(run.stdout.trim().split('\n').at(-1) ?? '{}') as T;
}
