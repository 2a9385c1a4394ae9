// Instantiates a prepared (transpiled) component with a given import object.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { DriverError } from '../errors.js';
import type { ImportObject } from '../wasi/host.js';
import type { PreparedComponent } from './component-cache.js';
import { capLinearMemory } from './memory-ceiling.js';

type Instantiate = (
  getCoreModule: (name: string) => Promise<WebAssembly.Module>,
  imports: ImportObject,
) => Promise<Record<string, unknown>>;

export interface InstantiateOptions {
  /** Ceiling for each linear memory, in 64 KiB pages; none when undefined. */
  readonly memoryMaxPages: number | undefined;
}

/** Core modules compiled once per process (per ceiling), shared by every instance. */
const compiled = new Map<string, Promise<WebAssembly.Module>>();

export async function instantiateComponent(component: PreparedComponent, imports: ImportObject, options: InstantiateOptions): Promise<Record<string, unknown>> {
  const glue = (await import(pathToFileURL(component.glue).href)) as { instantiate: Instantiate };
  const getCoreModule = (name: string): Promise<WebAssembly.Module> => {
    const path = join(component.dir, name);
    const key = `${path}#${options.memoryMaxPages ?? 'unlimited'}`;
    let module = compiled.get(key);
    if (!module) {
      module = readFile(path).then((bytes) =>
        WebAssembly.compile(options.memoryMaxPages === undefined ? bytes : capLinearMemory(bytes, options.memoryMaxPages)),
      );
      compiled.set(key, module);
      module.catch(() => compiled.delete(key));
    }
    return module;
  };
  try {
    return await glue.instantiate(getCoreModule, imports);
  } catch (err) {
    if (err instanceof DriverError) throw err;
    throw new DriverError('COMPONENT_INSTANTIATE_FAILED', `component failed to instantiate: ${(err as Error).message}`, { cause: err });
  }
}
