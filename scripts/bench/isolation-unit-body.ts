// One wasi:http task as either isolation unit runs it: loads the cached
// component, serves it on an ephemeral port, reports "ready <port>" to its
// parent (worker message or stdout line) and idles.
import { createServer } from 'node:net';
import { parentPort, workerData } from 'node:worker_threads';

interface BodyInput {
  readonly componentPath: string;
  readonly cacheDir: string;
}

const input = (workerData ?? JSON.parse(process.argv[2] ?? '{}')) as BodyInput;
const dist = new URL('../../dist/', import.meta.url).href;
const { prepareComponent } = (await import(
  `${dist}runtime/component-cache.js`
)) as typeof import('../../src/runtime/component-cache.ts');
const { serveHttp } = (await import(
  `${dist}runtime/serve-http.js`
)) as typeof import('../../src/runtime/serve-http.ts');
const component = await prepareComponent(input.componentPath, input.cacheDir);
const grants = {
  args: ['hello-http.wasm'],
  env: {},
  mounts: [],
  outboundHttp: [],
  memoryMaxMiB: 64,
  httpInstance: 'shared' as const,
};
// An ephemeral port picked here, as Nomad would have allocated one.
const port = await new Promise<number>((resolve) => {
  const probe = createServer().listen(0, '127.0.0.1', () => {
    const address = probe.address();
    probe.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
  });
});
await serveHttp(component, grants, { host: '127.0.0.1', port });
const message = `ready ${port}`;
if (parentPort) parentPort.postMessage(message);
else {
  process.stdout.write(`${message}\n`);
  // Ends with the benchmark, however it ends: stdin closes when the parent goes.
  process.stdin.on('end', () => process.exit(0)).resume();
}
