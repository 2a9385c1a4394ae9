// Instantiates a prepared (transpiled) component with a given import object.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { DriverError } from '../errors.js';
import type { PreparedComponent } from './component-cache.js';
import type { ImportObject } from './wasi-imports.js';

type Instantiate = (
  getCoreModule: (name: string) => Promise<WebAssembly.Module>,
  imports: ImportObject,
) => Promise<Record<string, unknown>>;

/** Core modules compiled once per process, shared by every instance. */
const compiled = new Map<string, Promise<WebAssembly.Module>>();

export async function instantiateComponent(component: PreparedComponent, imports: ImportObject): Promise<Record<string, unknown>> {
  const glue = (await import(pathToFileURL(component.glue).href)) as { instantiate: Instantiate };
  const getCoreModule = (name: string): Promise<WebAssembly.Module> => {
    const path = join(component.dir, name);
    let module = compiled.get(path);
    if (!module) {
      module = readFile(path).then((bytes) => WebAssembly.compile(bytes));
      compiled.set(path, module);
    }
    return module;
  };
  try {
    return await glue.instantiate(getCoreModule, imports);
  } catch (err) {
    throw new DriverError('COMPONENT_INSTANTIATE_FAILED', `component failed to instantiate: ${(err as Error).message}`, { cause: err });
  }
}
