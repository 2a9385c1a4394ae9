// Instantiates a prepared (transpiled) component with a given import object.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { DriverError } from '../errors.js';
import type { ImportObject } from '../wasi/host.js';
import type { PreparedComponent } from './component-cache.js';
import type { GlueState } from './glue-state-hooks.js';
import { capLinearMemory } from './memory-ceiling.js';
import { exportInstanceState } from './reset-exports.js';
import { componentWritesTables } from './table-writes.js';

type InstantiateCore = (module: WebAssembly.Module, imports?: WebAssembly.Imports) => Promise<WebAssembly.Instance>;

type Instantiate = (
  getCoreModule: (name: string) => Promise<WebAssembly.Module>,
  imports: ImportObject,
  instantiateCore?: InstantiateCore,
  onGlueState?: (state: GlueState) => void,
) => Promise<Record<string, unknown>>;

export interface InstantiateOptions {
  /** Ceiling for each linear memory, in 64 KiB pages; none when undefined. */
  readonly memoryMaxPages: number | undefined;
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
const compiled = new Map<string, Promise<WebAssembly.Module>>();

export async function instantiateComponent(component: PreparedComponent, imports: ImportObject, options: InstantiateOptions): Promise<Record<string, unknown>> {
  return (await instantiate(component, imports, options, false)).exports;
}

/** Instantiates with every core module's state exported, recording the core instances and the glue's state. */
export function instantiateObserved(component: PreparedComponent, imports: ImportObject, options: InstantiateOptions): Promise<ObservedInstance> {
  return instantiate(component, imports, options, true);
}

async function instantiate(component: PreparedComponent, imports: ImportObject, options: InstantiateOptions, observe: boolean): Promise<ObservedInstance> {
  const glue = (await import(pathToFileURL(component.glue).href)) as { instantiate: Instantiate };
  const coreModules: string[] = [];
  const getCoreModule = (name: string): Promise<WebAssembly.Module> => {
    coreModules.push(name);
    const path = join(component.dir, name);
    const key = `${path}#${options.memoryMaxPages ?? 'unlimited'}#${observe ? 'state-exported' : 'plain'}`;
    let module = compiled.get(key);
    if (!module) {
      module = readFile(path).then((bytes) => WebAssembly.compile(prepareCoreModule(bytes, options, observe)));
      compiled.set(key, module);
      module.catch(() => compiled.delete(key));
    }
    return module;
  };
  const cores: WebAssembly.Instance[] = [];
  let glueState: GlueState | undefined;
  const instantiateCore: InstantiateCore = async (module, coreImports) => {
    const instance = await WebAssembly.instantiate(module, coreImports);
    cores.push(instance);
    return instance;
  };
  try {
    const exports = observe
      ? await glue.instantiate(getCoreModule, imports, instantiateCore, (state) => (glueState = state))
      : await glue.instantiate(getCoreModule, imports);
    return { exports, cores, glueState, writesTables: observe ? await componentWritesTables(component.dir, coreModules) : true };
  } catch (err) {
    if (err instanceof DriverError || err instanceof NotResettable) throw err;
    throw new DriverError('COMPONENT_INSTANTIATE_FAILED', `component failed to instantiate: ${(err as Error).message}`, { cause: err });
  }
}

function prepareCoreModule(bytes: Uint8Array<ArrayBuffer>, options: InstantiateOptions, observe: boolean): Uint8Array<ArrayBuffer> {
  const capped = options.memoryMaxPages === undefined ? bytes : capLinearMemory(bytes, options.memoryMaxPages);
  if (!observe) return capped;
  const exported = exportInstanceState(capped);
  if ('unavailable' in exported) throw new NotResettable(exported.unavailable);
  return exported.module;
}
