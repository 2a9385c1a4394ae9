// A Rego policy compiled by OPA to WebAssembly (`opa build -t wasm`), loaded
// and evaluated in this process through OPA's Wasm ABI 1.x (OPA's docs:
// "WebAssembly → ABI"): the module imports its memory and host builtins from
// `env`, exports `builtins()`/`entrypoints()` as JSON name→id maps, and
// `opa_eval` evaluates one entrypoint against data and a JSON input in one
// call (ABI ≥ 1.2). Each evaluation starts its heap at the same place, so
// memory does not grow with the number of decisions.
//
// Our own loader rather than @open-policy-agent/opa-wasm: it lets the plugin
// refuse, at load, a policy needing a builtin nobody provides (the SDK finds
// out at the first call), and it throws typed errors, not strings.
import { DriverError } from '../errors.js';

/**
 * A host builtin: JSON arguments in, a JSON value out (a bigint for an
 * integer beyond 2^53, such as nanoseconds); `undefined` makes the call
 * undefined, as OPA does on errors outside strict mode.
 */
export type HostBuiltin = (...args: unknown[]) => unknown;

const PAGE = 64 * 1024;
/** What OPA's SDKs start with; the policy grows it itself when it needs more. */
const INITIAL_PAGES = 5;

interface OpaExports {
  readonly builtins: () => number;
  readonly entrypoints: () => number;
  readonly opa_malloc: (size: number) => number;
  readonly opa_json_parse: (addr: number, len: number) => number;
  readonly opa_json_dump: (addr: number) => number;
  readonly opa_heap_ptr_get: () => number;
  readonly opa_heap_ptr_set: (addr: number) => void;
  readonly opa_eval: (
    reserved: number,
    entrypoint: number,
    data: number,
    input: number,
    inputLen: number,
    heap: number,
    format: number,
  ) => number;
}

const REQUIRED_EXPORTS: readonly (keyof OpaExports)[] = [
  'builtins',
  'entrypoints',
  'opa_malloc',
  'opa_json_parse',
  'opa_json_dump',
  'opa_heap_ptr_get',
  'opa_heap_ptr_set',
  'opa_eval',
];

/** Thrown by a policy's `opa_abort` (a runtime error inside the policy, e.g. a conflicting rule). */
export class PolicyAbort extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PolicyAbort';
  }
}

export class OpaWasmPolicy {
  private readonly entrypointIds: Readonly<Record<string, number>>;
  private dataAddr = 0;
  private dataHeapPtr: number;
  private readonly baseHeapPtr: number;
  private readonly encoder = new TextEncoder();

  private constructor(
    private readonly exports: OpaExports,
    private readonly memory: WebAssembly.Memory,
    entrypoints: Readonly<Record<string, number>>,
  ) {
    this.entrypointIds = entrypoints;
    this.baseHeapPtr = exports.opa_heap_ptr_get();
    this.dataHeapPtr = this.baseHeapPtr;
    this.setData({});
  }

  /**
   * Instantiates a compiled policy with the host builtins it needs. A builtin
   * the policy calls that `builtins` lacks is refused here, named.
   */
  static load(
    module: WebAssembly.Module,
    builtins: Readonly<Record<string, HostBuiltin>>,
    what: string,
  ): OpaWasmPolicy {
    const loaded = instantiate(module, builtins, what);
    const missing = Object.keys(loaded.builtinIds).filter((name) => !Object.hasOwn(builtins, name));
    if (missing.length > 0)
      throw new DriverError(
        'POLICY_INVALID',
        `${what} calls ${missing.length === 1 ? 'a builtin' : 'builtins'} this driver does not provide: ${missing.sort().join(', ')} (compile with --capabilities policy/capabilities.json to catch this at build time)`,
      );
    return new OpaWasmPolicy(loaded.exports, loaded.memory, loaded.entrypoints);
  }

  get entrypoints(): readonly string[] {
    return Object.keys(this.entrypointIds);
  }

  /** The bundle's `data` document, seen by every evaluation as `data`. */
  setData(data: unknown): void {
    this.exports.opa_heap_ptr_set(this.baseHeapPtr);
    this.dataAddr = writeJson(this.exports, this.memory, data);
    this.dataHeapPtr = this.exports.opa_heap_ptr_get();
  }

  /** Evaluates one entrypoint; the result set, as OPA returns it (`[{"result": …}]`, empty when undefined). */
  evaluate(entrypoint: string, input: unknown): unknown[] {
    const id = this.entrypointIds[entrypoint];
    if (id === undefined) throw new TypeError(`entrypoint ${entrypoint} is not in this policy`);
    const bytes = this.encoder.encode(JSON.stringify(input));
    const inputAddr = this.dataHeapPtr;
    const shortBy = inputAddr + bytes.byteLength - this.memory.buffer.byteLength;
    if (shortBy > 0) this.memory.grow(Math.ceil(shortBy / PAGE));
    new Uint8Array(this.memory.buffer).set(bytes, inputAddr);
    const resultAddr = this.exports.opa_eval(
      0,
      id,
      this.dataAddr,
      inputAddr,
      bytes.byteLength,
      inputAddr + bytes.byteLength,
      0,
    );
    const result = JSON.parse(readCString(this.memory, resultAddr)) as unknown;
    if (!Array.isArray(result)) throw new TypeError('opa_eval did not return a result set');
    return result as unknown[];
  }
}

interface Instantiated {
  readonly exports: OpaExports;
  readonly memory: WebAssembly.Memory;
  readonly builtinIds: Readonly<Record<string, number>>;
  readonly entrypoints: Readonly<Record<string, number>>;
}

function instantiate(
  module: WebAssembly.Module,
  builtins: Readonly<Record<string, HostBuiltin>>,
  what: string,
): Instantiated {
  const memory = new WebAssembly.Memory({ initial: INITIAL_PAGES });
  // Filled in once instantiated; builtins are only called later, during evaluation.
  const late: { exports?: OpaExports; byId: Map<number, string> } = { byId: new Map() };
  const call = (id: number, args: readonly number[]): number => {
    const name = late.byId.get(id) ?? `#${id}`;
    const impl = Object.hasOwn(builtins, name) ? builtins[name] : undefined;
    const ready = late.exports;
    if (ready === undefined || impl === undefined) throw new PolicyAbort(`builtin ${name} is not provided`);
    const values = args.map((addr) => JSON.parse(readCString(memory, ready.opa_json_dump(addr))) as unknown);
    const result = impl(...values);
    return result === undefined ? 0 : writeJson(ready, memory, result);
  };
  let instance: WebAssembly.Instance;
  try {
    instance = new WebAssembly.Instance(module, {
      env: {
        memory,
        opa_abort: (addr: number) => {
          throw new PolicyAbort(readCString(memory, addr));
        },
        // `print` in a policy: nowhere to go on the start path.
        opa_println: () => undefined,
        opa_builtin0: (id: number) => call(id, []),
        opa_builtin1: (id: number, _ctx: number, a: number) => call(id, [a]),
        opa_builtin2: (id: number, _ctx: number, a: number, b: number) => call(id, [a, b]),
        opa_builtin3: (id: number, _ctx: number, a: number, b: number, c: number) => call(id, [a, b, c]),
        opa_builtin4: (id: number, _ctx: number, a: number, b: number, c: number, d: number) => call(id, [a, b, c, d]),
      },
    });
  } catch (err) {
    throw new DriverError('POLICY_INVALID', `${what} is not an OPA policy module: ${(err as Error).message}`, {
      cause: err,
    });
  }
  const exports = checkExports(instance, what);
  const builtinIds = readJsonMap(exports, memory, exports.builtins());
  const entrypoints = readJsonMap(exports, memory, exports.entrypoints());
  late.exports = exports;
  late.byId = new Map(Object.entries(builtinIds).map(([name, id]) => [id, name]));
  return { exports, memory, builtinIds, entrypoints };
}

function checkExports(instance: WebAssembly.Instance, what: string): OpaExports {
  const abi = instance.exports['opa_wasm_abi_version'];
  const minor = instance.exports['opa_wasm_abi_minor_version'];
  const major = abi instanceof WebAssembly.Global ? Number(abi.value) : undefined;
  const minorVersion = minor instanceof WebAssembly.Global ? Number(minor.value) : undefined;
  // opa_eval (one call per decision) arrived in ABI 1.2; OPA ≥ 0.30 builds it.
  if (major !== 1 || minorVersion === undefined || minorVersion < 2)
    throw new DriverError(
      'POLICY_INVALID',
      `${what} speaks OPA Wasm ABI ${major ?? '?'}.${minorVersion ?? '?'}; this driver needs 1.2 or later (opa build -t wasm of OPA ≥ 0.30)`,
    );
  const missing = REQUIRED_EXPORTS.filter((name) => typeof instance.exports[name] !== 'function');
  if (missing.length > 0)
    throw new DriverError('POLICY_INVALID', `${what} lacks the OPA Wasm exports ${missing.join(', ')}`);
  return instance.exports as unknown as OpaExports;
}

function readJsonMap(exports: OpaExports, memory: WebAssembly.Memory, addr: number): Record<string, number> {
  const value = JSON.parse(readCString(memory, exports.opa_json_dump(addr))) as unknown;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return {};
  return Object.fromEntries(
    Object.entries(value).filter((entry): entry is [string, number] => typeof entry[1] === 'number'),
  );
}

function writeJson(exports: OpaExports, memory: WebAssembly.Memory, value: unknown): number {
  const bytes = new TextEncoder().encode(typeof value === 'bigint' ? value.toString() : JSON.stringify(value));
  const raw = exports.opa_malloc(bytes.byteLength);
  new Uint8Array(memory.buffer).set(bytes, raw);
  const parsed = exports.opa_json_parse(raw, bytes.byteLength);
  if (parsed === 0) throw new PolicyAbort('the policy could not parse a JSON value handed to it');
  return parsed;
}

/** A NUL-terminated UTF-8 string in the policy's memory. */
function readCString(memory: WebAssembly.Memory, addr: number): string {
  const bytes = new Uint8Array(memory.buffer);
  let end = addr;
  while (end < bytes.length && bytes[end] !== 0) end++;
  return new TextDecoder().decode(bytes.subarray(addr, end));
}
