// Which imports a component may have: the WASI 0.2 host's interfaces
// (src/wasi/host.ts) and the Spin host's (src/spin/host.ts); component-world.ts
// adds the WASI 0.3 host's. Anything else
// fails the start, naming the import.
import { providesSpinImport } from '../spin/host.js';
import { providesImport as providesWasiImport } from '../wasi/host.js';

export function providesImport(name: string): boolean {
  return providesWasiImport(name) || providesSpinImport(name);
}
