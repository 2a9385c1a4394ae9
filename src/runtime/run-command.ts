// Runs a wasi:cli command component to completion and returns its exit code.
// Guest stdout/stderr go to this process's stdout/stderr (Nomad's log FIFOs).
import type { PreparedComponent } from './component-cache.js';
import type { Grants } from './grants.js';
import { instantiateComponent } from './instantiate.js';
import { GuestExit, sandboxedImports } from './wasi-imports.js';

interface RunExport {
  run(): void;
}

export async function runCommand(component: PreparedComponent, grants: Grants): Promise<number> {
  const instance = await instantiateComponent(component, sandboxedImports(grants));
  const runner = (instance['run'] ?? instance['wasi:cli/run@0.2.12']) as RunExport | undefined;
  if (!runner) throw new Error('component has no wasi:cli/run export');
  try {
    // run() returns result<_, _>; jco throws on the error case.
    runner.run();
    return 0;
  } catch (err) {
    if (err instanceof GuestExit) return err.code;
    process.stderr.write(`[nomad-driver-wasm] component trapped: ${(err as Error).stack ?? String(err)}\n`);
    return 1;
  }
}
