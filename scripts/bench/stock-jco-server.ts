// Baseline for `npm run bench`: the stock jco path (preview2-shim's
// HTTPServer, what `jco serve` uses) serving the same component with one
// shared instance, in glue exactly as jco transpiles it (not the driver's
// cached glue, which carries our prelude and rewrites).
// Usage: node stock-jco-server.ts <component.wasm> <port>
import * as shimHttp from '@bytecodealliance/preview2-shim/http';
import { WASIShim } from '@bytecodealliance/preview2-shim/instantiation';
import { transpile } from '@bytecodealliance/jco';
import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';

interface Handler {
  handle(request: unknown, out: unknown): void;
}
const { HTTPServer } = shimHttp as unknown as {
  HTTPServer: new (handler: Handler) => { listen(port: number, host: string): void };
};

const [componentPath, port] = process.argv.slice(2);
const dir = await mkdtemp(join(tmpdir(), 'stock-jco-'));
const output = await transpile(await readFile(componentPath as string), {
  name: 'component',
  instantiation: 'async',
  noTypescript: true,
  quiet: true,
});
for (const [name, content] of Object.entries(output.files)) {
  if (name.endsWith('.d.ts')) continue;
  await mkdir(dirname(join(dir, name)), { recursive: true });
  await writeFile(join(dir, name), content);
}
const glue = (await import(pathToFileURL(join(dir, 'component.js')).href)) as {
  instantiate(get: (name: string) => Promise<WebAssembly.Module>, imports: object): Promise<Record<string, unknown>>;
};
const instance = await glue.instantiate(
  async (name) => WebAssembly.compile(await readFile(join(dir, name))),
  new WASIShim({ sandbox: { preopens: {}, env: {}, args: [], enableNetwork: false } }).getImportObject(),
);
const handler = instance['incomingHandler'] as Handler;
new HTTPServer(handler).listen(Number(port), '127.0.0.1');
console.log('listening');
