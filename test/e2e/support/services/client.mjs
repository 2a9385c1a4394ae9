// A non-Wasm client for the service-discovery e2e tests, run by raw_exec
// under Node: it finds the Wasm service through Consul (a Nomad template
// renders its instances into local/upstreams) and calls it twice a second,
// printing one line per call: "ok <status> <body>" or "failed <error>".
import { readFileSync } from 'node:fs';

async function once() {
  let upstreams = [];
  try {
    upstreams = readFileSync('local/upstreams', 'utf8')
      .split('\n')
      .map((line) => line.trim())
      .filter(Boolean);
  } catch {
    /* not rendered yet */
  }
  if (upstreams.length === 0) return console.log('failed no-upstream');
  const target = upstreams[Math.floor(Math.random() * upstreams.length)];
  try {
    const response = await fetch(`http://${target}/call/from-client`, { signal: AbortSignal.timeout(5000) });
    console.log(`ok ${response.status} ${(await response.text()).trim()}`);
  } catch (err) {
    console.log(`failed ${err.message}`);
  }
}
setInterval(() => void once(), 500);
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => process.exit(0));
