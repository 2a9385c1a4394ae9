// JavaScript Promise Integration, which jco's glue for WASI 0.3 components
// needs (WebAssembly.Suspending / promising: a guest task waits without
// blocking the thread). Task and pool hosts start with it on
// (src/ipc/host-node-flags.ts); a Node.js without it cannot run 0.3.
import { DriverError } from '../errors.js';

export function requireJspi(): void {
  const api = WebAssembly as unknown as { Suspending?: unknown; promising?: unknown };
  if (typeof api.Suspending === 'function' && typeof api.promising === 'function') return;
  throw new DriverError(
    'JSPI_UNAVAILABLE',
    `this is a WASI 0.3 component, and Node.js ${process.version} here has no JavaScript Promise Integration (WebAssembly.Suspending): run task hosts on Node.js ≥ 24 with --experimental-wasm-jspi (the plugin does, with the node installed beside it)`,
  );
}
