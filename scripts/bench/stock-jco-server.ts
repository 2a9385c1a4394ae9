// Baseline for `npm run bench`: the stock jco path (preview2-shim's
// HTTPServer, what `jco serve` uses) serving the same transpiled component
// with one shared instance. Usage: node stock-jco-server.ts <component.wasm> <port>
import * as shimHttp from '@bytecodealliance/preview2-shim/http';
import { WASIShim } from '@bytecodealliance/preview2-shim/instantiation';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { readFile } from 'node:fs/promises';
import type { PreparedComponent } from '../../src/runtime/component-cache.ts';

// The compiled module (src/ imports use .js suffixes that only exist in dist/).
const { prepareComponent } = (await import(new URL('../../dist/runtime/component-cache.js', import.meta.url).href)) as {
  prepareComponent(path: string, cacheDir: string): Promise<PreparedComponent>;
};

interface Handler {
  handle(request: unknown, out: unknown): void;
}
const { HTTPServer } = shimHttp as unknown as { HTTPServer: new (handler: Handler) => { listen(port: number, host: string): void } };

const [componentPath, port] = process.argv.slice(2);
const component = await prepareComponent(componentPath as string, await mkdtemp(join(tmpdir(), 'stock-jco-')));
const glue = (await import(pathToFileURL(component.glue).href)) as {
  instantiate(get: (name: string) => Promise<WebAssembly.Module>, imports: object): Promise<Record<string, unknown>>;
};
const instance = await glue.instantiate(
  async (name) => WebAssembly.compile(await readFile(join(component.dir, name))),
  new WASIShim({ sandbox: { preopens: {}, env: {}, args: [], enableNetwork: false } }).getImportObject(),
);
const handler = instance['incomingHandler'] as Handler;
new HTTPServer(handler).listen(Number(port), '127.0.0.1');
console.log('listening');
