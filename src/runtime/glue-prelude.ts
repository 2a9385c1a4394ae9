// A line put in front of every jco glue file when it is cached.
//
// jco 1.35's glue wraps each component's realloc with
// `WebAssembly.promising` on every instantiation, for async (JSPI) lifts
// that WASI 0.2 components never have: the wrapper goes unused, yet
// creating it is ~1.6 ms of a ~3.7 ms instantiation (measured with
// --cpu-prof), which a fresh instance per request pays every time. The
// prelude shadows `WebAssembly` in the glue's module scope only (no global
// is touched) with one whose `promising` builds the wrapper on first call.
export const GLUE_PRELUDE = [
  'const WebAssembly = Object.create(globalThis.WebAssembly, { promising: { value: (fn) => {',
  '  let wrapped;',
  '  return (...args) => {',
  '    if (wrapped === undefined) { try { wrapped = globalThis.WebAssembly.promising(fn); } catch { wrapped = fn; } }',
  '    return wrapped(...args);',
  '  };',
  '} } });',
  '',
].join('\n');
