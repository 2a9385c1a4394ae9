// Lines put in front of every jco glue file when it is cached. They shadow
// two free variables of the glue in its module scope only (no global is
// touched), each for a cost --cpu-prof measured in jco 1.35's glue:
//
// - `WebAssembly.promising`: the glue wraps each component's realloc with it
//   on every instantiation, for async (JSPI) lifts that WASI 0.2 components
//   never have: the wrapper goes unused, yet creating it was ~1.6 ms of a
//   ~3.7 ms instantiation. The shadow builds the wrapper on first call.
// - `globalThis.process.env.JCO_DEBUG`: the glue's `_debugLog` reads it
//   around every host call and Node answers each read with a getenv: ~17 %
//   of a busy wasi:http task host's CPU. The shadow reads it once. The glue
//   uses `globalThis` for nothing else; other properties resolve to the
//   real global through the prototype.
//
// `global` is Node's name for the real global object, which the shadowed
// `globalThis` can no longer reach in this module.
export const GLUE_PRELUDE = [
  'const globalThis = Object.create(global, { process: { value: { env: Object.freeze({ JCO_DEBUG: global.process?.env?.JCO_DEBUG }) } } });',
  'const WebAssembly = Object.create(global.WebAssembly, { promising: { value: (fn) => {',
  '  let wrapped;',
  '  return (...args) => {',
  '    if (wrapped === undefined) { try { wrapped = global.WebAssembly.promising(fn); } catch { wrapped = fn; } }',
  '    return wrapped(...args);',
  '  };',
  '} } });',
  '',
].join('\n');
