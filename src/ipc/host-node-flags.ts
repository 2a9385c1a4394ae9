// Node.js flags of every process that runs components: task hosts
// (src/task/launcher.ts) and pool hosts (src/task/pool-client.ts). They
// cross the process boundary on the command line, so both sides (and the
// tests that start task hosts themselves) take them from here.

/**
 * - `--wasm-lazy-validation`: V8 validates each function of a core module
 *   when it is first compiled (on first call) instead of all of them up
 *   front. Nothing runs unvalidated, and jco already validated every core
 *   module when it transpiled the component; up-front validation was ~60 of
 *   the ~85 ms spent compiling a 12 MB JavaScript component on every start.
 * - `--experimental-wasm-jspi`: JavaScript Promise Integration
 *   (`WebAssembly.Suspending` / `WebAssembly.promising`), which jco's glue
 *   for WASI 0.3 components needs to let a guest wait (the async ABI). V8
 *   installs it only when a context is created, so it must be a start flag;
 *   it changes nothing for WASI 0.2 components.
 */
export const HOST_NODE_FLAGS: readonly string[] = [
  '--disable-warning=ExperimentalWarning',
  '--wasm-lazy-validation',
  '--experimental-wasm-jspi',
];
