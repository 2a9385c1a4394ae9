// WASI preview1 core modules (what `GOOS=wasip1 go build`, Rust's
// wasm32-wasip1, wasi-sdk and TinyGo make) run here as wasi:cli commands:
// a module that exports `_start` and `memory` and imports nothing but
// `wasi_snapshot_preview1` is turned into a component at load time with the
// preview1 command adapter jco ships (pinned with jco, never downloaded),
// then cached by the module's own digest like any component.
//
// Everything preview1-specific lives in this file: the check of what a
// module imports and exports, the adaptation, and what instantiation does
// differently for an adapted module:
// - exit codes: preview1's `proc_exit(code)` keeps its code (preview1ExitCodes);
// - memory: the adapter has no memory of its own. It takes two pages of the
//   module's linear memory (its stack and its state) with `memory.grow`,
//   and runtimes that take every page present at their start for their heap
//   (Go's does, from `memory.size`) would write over them. So the module's
//   `memory.size`/`memory.grow` see a memory that ends ADAPTER_PAGES below
//   the task's ceiling (virtual-memory-size.ts), the real memory is grown to
//   that limit before the adapter runs, and the adapter's pages land above
//   what the module can ever address as its own.
import { readFile } from 'node:fs/promises';
import { DriverError } from '../errors.js';
import { GuestExit } from '../wasi/cli.js';
import { setVirtualMemoryLimit, UnsupportedCode, virtualizeMemorySize } from './virtual-memory-size.js';
import { PAGE_BYTES } from './memory-ceiling.js';

/** The only import module a preview1 command may use: what the adapter provides. */
export const PREVIEW1_MODULE = 'wasi_snapshot_preview1';

/** How a prepared component came to be (recorded in its cache manifest). */
export const ADAPTED_FROM_PREVIEW1 = 'wasi-preview1-command';

export interface Preview1Command {
  /** The preview1 functions the module imports (`fd_write`, `path_open`, ...), sorted, without repeats. */
  readonly functions: readonly string[];
}

/**
 * Checks that a core module can run as a preview1 command, or says what it
 * imports or lacks. `what` names the file in messages.
 */
export function checkPreview1Command(bytes: Uint8Array, what: string): Preview1Command {
  let module: WebAssembly.Module;
  try {
    // Validates the whole module; V8 compiles function bodies lazily, so this is cheap.
    module = new WebAssembly.Module(bytes as Uint8Array<ArrayBuffer>);
  } catch (err) {
    throw new DriverError(
      'COMPONENT_INVALID',
      `${what} is a truncated or corrupt WebAssembly module (${(err as Error).message}); fetch or build it again`,
      { cause: err },
    );
  }
  const imports = WebAssembly.Module.imports(module);
  const foreign = [...new Set(imports.filter((i) => i.module !== PREVIEW1_MODULE).map((i) => `${i.module}.${i.name}`))];
  if (foreign.length > 0) {
    throw new DriverError(
      'WASI_PREVIEW1_IMPORT_UNSUPPORTED',
      `${what} is a core WebAssembly module that imports ${describeList(foreign)}, which is not WASI preview1: this driver runs core modules only through the preview1 command adapter, which provides ${PREVIEW1_MODULE} and nothing else. Build it without these imports (they are host functions of another runtime), or as a WASI 0.2 component`,
    );
  }
  const exports = new Map(WebAssembly.Module.exports(module).map((e) => [e.name, e.kind]));
  if (exports.get('_start') !== 'function') {
    const reactor = exports.get('_initialize') === 'function';
    throw new DriverError(
      'WASI_PREVIEW1_NOT_A_COMMAND',
      reactor
        ? `${what} is a WASI preview1 reactor (it exports _initialize and no _start): this driver runs preview1 modules as commands only. Build it as a command (Go: without -buildmode=c-shared; Rust: a bin target; wasi-sdk: -mexec-model=command), or as a WASI 0.2 component`
        : `${what} is a core WebAssembly module without a _start export (it exports ${describeList([...exports.keys()]) || 'nothing'}): this driver runs core modules only as WASI preview1 commands, which start at _start`,
    );
  }
  if (exports.get('memory') !== 'memory') {
    throw new DriverError(
      'WASI_PREVIEW1_NOT_A_COMMAND',
      `${what} does not export its linear memory as "memory", which the preview1 adapter needs to pass data to the module; build it with a WASI toolchain's default linker settings`,
    );
  }
  return { functions: [...new Set(imports.map((i) => i.name))].sort() };
}

/** Pages of the module's memory the adapter takes for itself: its stack and its state, one page each. */
export const ADAPTER_PAGES = 2;

/** The page limit of an adapted module's own memory when the task sets no ceiling: 1 GiB. */
const DEFAULT_LIMIT_PAGES = 16384;

export interface AdaptedCommand {
  readonly component: Uint8Array;
  /** Whether the module's memory instructions were virtualized (it uses memory.size or memory.grow). */
  readonly virtualMemory: boolean;
}

/**
 * The module as a wasi:cli command component (only after checkPreview1Command
 * accepted it). The adapter is the one bundled with the pinned jco.
 */
export async function adaptPreview1Command(bytes: Uint8Array, what: string): Promise<AdaptedCommand> {
  let module: Uint8Array = bytes;
  let virtualMemory = false;
  try {
    const virtualized = virtualizeMemorySize(bytes);
    if (virtualized) [module, virtualMemory] = [virtualized, true];
  } catch (err) {
    if (!(err instanceof UnsupportedCode)) throw err;
    throw new DriverError(
      'COMPONENT_INVALID',
      `${what} cannot be adapted: its code has what this driver does not decode (${err.message})`,
      { cause: err },
    );
  }
  // Loaded only on a cache miss: jco brings its whole wasm toolchain.
  const { componentNew, preview1AdapterCommandPath } = await import('@bytecodealliance/jco');
  const adapter = await readFile(preview1AdapterCommandPath());
  try {
    return { component: await componentNew(module, [[PREVIEW1_MODULE, adapter]]), virtualMemory };
  } catch (err) {
    throw new DriverError(
      'COMPONENT_INVALID',
      `the WASI preview1 command adapter could not adapt ${what}: ${(err as Error).message}`,
      { cause: err },
    );
  }
}

/** How many pages the module may use as its own under a ceiling (the adapter's are above). */
export function preview1PageLimit(memoryMaxPages: number | undefined): number {
  return (memoryMaxPages ?? DEFAULT_LIMIT_PAGES + ADAPTER_PAGES) - ADAPTER_PAGES;
}

/** The adapted module's code file with its page limit set (compile time, per ceiling). */
export function withPreview1PageLimit(module: Uint8Array, memoryMaxPages: number | undefined): Uint8Array<ArrayBuffer> {
  return setVirtualMemoryLimit(module, preview1PageLimit(memoryMaxPages));
}

/**
 * Instantiates one core module of an adapted component: the module's own
 * instance gets preview1ExitCodes, and its memory is grown to the page
 * limit at once, so that the adapter's pages come after it.
 */
export function instantiatePreview1Core(
  module: WebAssembly.Module,
  coreImports: WebAssembly.Imports | undefined,
  memoryMaxPages: number | undefined,
  virtualMemory: boolean,
): WebAssembly.Instance {
  const instance = new WebAssembly.Instance(module, preview1ExitCodes(coreImports));
  const memory = instance.exports['memory'];
  if (!virtualMemory || !coreImports?.[PREVIEW1_MODULE] || !(memory instanceof WebAssembly.Memory)) return instance;
  const limit = preview1PageLimit(memoryMaxPages);
  const pages = memory.buffer.byteLength / PAGE_BYTES;
  if (pages > limit) {
    throw new DriverError(
      'MEMORY_CEILING_TOO_LOW',
      `the module needs ${pages / 16} MiB of linear memory at start and the WASI preview1 adapter ${(ADAPTER_PAGES * PAGE_BYTES) / 1024} KiB, above the task's memory ceiling of ${((limit + ADAPTER_PAGES) / 16).toFixed(1)} MiB: raise resources { memory_max } (or memory)`,
    );
  }
  // Reserved, not used: the pages count against the RSS only once written.
  memory.grow(limit - pages);
  return instance;
}

/**
 * Instantiation hook for adapted modules: preview1's `proc_exit(code)` ends
 * the command with that code. The adapter alone would narrow it to WASI
 * 0.2's `exit(ok | err)` (code 0 or 1), so the module's own import is
 * answered here, before the adapter sees the call (Go's `os.Exit(3)` exits 3).
 */
export function preview1ExitCodes(coreImports: WebAssembly.Imports | undefined): WebAssembly.Imports | undefined {
  const preview1 = coreImports?.[PREVIEW1_MODULE];
  if (!coreImports || !preview1 || !('proc_exit' in preview1)) return coreImports;
  return {
    ...coreImports,
    [PREVIEW1_MODULE]: {
      ...preview1,
      proc_exit: (code: number): never => {
        throw new GuestExit(code >>> 0);
      },
    },
  };
}

function describeList(items: readonly string[]): string {
  const shown = items.slice(0, 8).join(', ');
  return items.length > 8 ? `${shown} and ${items.length - 8} more` : shown;
}
