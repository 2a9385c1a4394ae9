// Instantiates a prepared (transpiled) component with a given import object.
import { readFileSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { DriverError } from '../errors.js';
import type { ImportObject } from '../wasi/host.js';
import type { PreparedComponent } from './component-cache.js';
import { forgetGlueExcept, loadGlue } from './glue-code-cache.js';
import type { AsyncGlueHooks } from './glue-async-runtime.js';
import type { GlueState } from './glue-state-hooks.js';
import { capLinearMemory } from './memory-ceiling.js';
import { instantiatePreview1Core, withPreview1PageLimit } from './preview1-adapter.js';

type InstantiateCore = (module: WebAssembly.Module, imports?: WebAssembly.Imports) => WebAssembly.Instance;

type Instantiate = (
  getCoreModule: (name: string) => WebAssembly.Module,
  imports: ImportObject,
  instantiateCore?: InstantiateCore,
  // The 0.2 glue's state hook (glue-state-hooks.ts), or the 0.3 glue's hooks (glue-async-runtime.ts).
  hooks?: ((state: GlueState) => void) | AsyncGlueHooks,
) => Promise<Record<string, unknown>>;

export interface InstantiateOptions {
  /** Ceiling for each linear memory, in 64 KiB pages; none when undefined. */
  readonly memoryMaxPages: number | undefined;
  /** Told of every core instance made (a pool host measures each task's linear memory). */
  readonly onCoreInstance?: (instance: WebAssembly.Instance) => void;
  /** WASI 0.3: told when the instance traps, also after it answered (glue-async-runtime.ts). */
  readonly onTrap?: (err: unknown) => void;
}

/** What an instantiation for resetting also gives back (see instance-reset.ts). */
export interface ObservedInstance {
  readonly exports: Record<string, unknown>;
  /** Every core instance, in the order the glue made them. */
  readonly cores: WebAssembly.Instance[];
  readonly glueState: GlueState | undefined;
  /** Whether the code of any core module can change a table (table-writes.ts). */
  readonly writesTables: boolean;
}

/** A core module cannot have its state exported for resetting. */
export class NotResettable extends Error {}

/** Core modules compiled once per process (per ceiling and form), shared by every instance. */
const compiled = new Map<string, WebAssembly.Module>();

type ResetExports = typeof import('./reset-exports.js');

export async function instantiateComponent(
  component: PreparedComponent,
  imports: ImportObject,
  options: InstantiateOptions,
): Promise<Record<string, unknown>> {
  return (await instantiate(component, imports, options, false)).exports;
}

/** Instantiates with every core module's state exported, recording the core instances and the glue's state. */
export function instantiateObserved(
  component: PreparedComponent,
  imports: ImportObject,
  options: InstantiateOptions,
): Promise<ObservedInstance> {
  return instantiate(component, imports, options, true);
}

// Synchronous from the glue's import on: core modules are compiled (once per
// process) and instantiated on this thread, and jco's glue, given values
// instead of promises, runs its whole instantiation without yielding. Each
// awaited step cost an event-loop turn of a task's start.
async function instantiate(
  component: PreparedComponent,
  imports: ImportObject,
  options: InstantiateOptions,
  observe: boolean,
): Promise<ObservedInstance> {
  forgetOtherComponents(component);
  const glue = (await loadGlue(component).catch((err: unknown) => {
    // A glue that does not even load (a jco whose output the code cache's rewrite breaks, a damaged cache entry).
    throw new DriverError(
      'COMPONENT_INSTANTIATE_FAILED',
      `jco's glue for the component could not be loaded: ${(err as Error).message}`,
      { cause: err },
    );
  })) as unknown as { instantiate: Instantiate };
  // Per-request resetting only (imported then: a command's start does not load it).
  const resetExports = observe ? await import('./reset-exports.js') : undefined;
  const coreModules: string[] = [];
  const getCoreModule = (name: string): WebAssembly.Module => {
    coreModules.push(name);
    return compiledCoreModule(join(component.dir, name), options, resetExports, component.preview1MainModule === name);
  };
  const cores: WebAssembly.Instance[] = [];
  let glueState: GlueState | undefined;
  const instantiateCore: InstantiateCore = (module, coreImports) => {
    // An adapted preview1 module: exit codes and memory as preview1-adapter.ts says.
    const instance = component.adaptedFrom
      ? instantiatePreview1Core(module, coreImports, options.memoryMaxPages, component.preview1MainModule !== undefined)
      : new WebAssembly.Instance(module, coreImports);
    cores.push(instance);
    options.onCoreInstance?.(instance);
    return instance;
  };
  try {
    const exports = await glue.instantiate(
      getCoreModule,
      imports,
      instantiateCore,
      glueHooks(component, options, observe, (state) => (glueState = state)),
    );
    const writesTables = observe
      ? await (await import('./table-writes.js')).componentWritesTables(component.dir, coreModules)
      : true;
    return { exports, cores, glueState, writesTables };
  } catch (err) {
    if (err instanceof DriverError || err instanceof NotResettable) throw err;
    throw new DriverError(
      'COMPONENT_INSTANTIATE_FAILED',
      `component failed to instantiate: ${(err as Error).message}`,
      { cause: err },
    );
  }
}

/** The glue's fourth argument: the 0.2 glue's state hook, or the 0.3 glue's hooks object (with the trap hook). */
function glueHooks(
  component: PreparedComponent,
  options: InstantiateOptions,
  observe: boolean,
  onState: (state: GlueState) => void,
): ((state: GlueState) => void) | AsyncGlueHooks | undefined {
  if (component.glueAsyncRuntime) {
    const onTrap = options.onTrap;
    return { ...(onTrap ? { onTrap } : {}), ...(observe ? { onState } : {}) };
  }
  return observe ? onState : undefined;
}

/**
 * Loads a component's glue and compiles its core modules ahead of time (a
 * spare task host, for the component it expects): a later instantiation
 * with the same options then starts from both.
 */
export async function precompileComponent(
  component: PreparedComponent,
  options: InstantiateOptions,
  observe: boolean,
): Promise<void> {
  await loadGlue(component);
  const resetExports = observe ? await import('./reset-exports.js') : undefined;
  for (const name of await readdir(component.dir)) {
    if (name.endsWith('.wasm'))
      compiledCoreModule(join(component.dir, name), options, resetExports, component.preview1MainModule === name);
  }
}

/** Set by a pool host, which runs several components at once (retainOtherComponents). */
let retainAll = false;

/** A pool host's tasks run different components side by side: none is let go for another. */
export function retainOtherComponents(): void {
  retainAll = true;
}

/**
 * A task host runs one component: whatever a spare prepared for another
 * one (a misprediction) is let go, so that an idle task does not keep a
 * large component's compiled code.
 */
function forgetOtherComponents(component: PreparedComponent): void {
  if (retainAll) return;
  forgetComponentsExcept([component]);
}

/**
 * Lets go of the compiled code and glue of every component but these (a
 * pool host, when a task ends: the components its tasks still run, and the
 * one that ended, which a restart or the next batch run may start again).
 */
export function forgetComponentsExcept(kept: readonly PreparedComponent[]): void {
  const dirs = kept.map((component) => `${component.dir}/`);
  for (const key of compiled.keys()) if (!dirs.some((dir) => key.startsWith(dir))) compiled.delete(key);
  forgetGlueExcept(...kept);
}

/**
 * Compiles a core module file (capped, and with its state exported when
 * resetting; an adapted preview1 module with its page limit), once per process.
 */
function compiledCoreModule(
  path: string,
  options: InstantiateOptions,
  resetExports: ResetExports | undefined,
  preview1Main: boolean,
): WebAssembly.Module {
  const key = `${path}#${options.memoryMaxPages ?? 'unlimited'}#${resetExports ? 'state-exported' : 'plain'}`;
  let module = compiled.get(key);
  if (!module) {
    const file = readFileSync(path);
    const bytes = preview1Main ? withPreview1PageLimit(file, options.memoryMaxPages) : file;
    const capped = options.memoryMaxPages === undefined ? bytes : capLinearMemory(bytes, options.memoryMaxPages);
    let prepared: Uint8Array<ArrayBuffer> = capped;
    if (resetExports) {
      const exported = resetExports.exportInstanceState(capped);
      if ('unavailable' in exported) throw new NotResettable(exported.unavailable);
      prepared = exported.module;
    }
    module = new WebAssembly.Module(prepared);
    compiled.set(key, module);
  }
  return module;
}
