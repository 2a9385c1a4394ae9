// Starts a local Nomad agent (server + client) with this plugin loaded,
// serves the example components on loopback, runs the jobs in jobs/ and
// prints where everything is. Ctrl-C stops the agent and its tasks.
// Run through scripts/dev-run.sh, which installs and builds first.
import { join } from 'node:path';
import { NomadAgent, REPO_ROOT } from '../test/e2e/support/nomad-agent.ts';
import { exampleJob } from '../test/e2e/support/jobs.ts';
import { serveDirectory } from '../test/e2e/support/static-server.ts';

const components = await serveDirectory(join(REPO_ROOT, '.cache/components'));
console.log(`serving components at ${components.baseUrl}`);
const agent = await NomadAgent.start();
const api = agent.api;
console.log(`Nomad agent ready: ${api.address} (UI: ${api.address}/ui)  data dir: ${agent.dir}`);

const vars = { artifact_base_url: components.baseUrl };
const batch = await api.runJobHcl(exampleJob('hello-batch.nomad.hcl'), vars);
const done = await api.waitForAllocation(batch, (a) => a.TaskStates?.['hello']?.State === 'dead', 'the batch job');
console.log(
  `\n${batch}: exit ${done.TaskStates?.['hello']?.Events.find((e) => e.Type === 'Terminated')?.ExitCode}, stdout:`,
);
console.log((await api.logs(done.ID, 'hello', 'stdout')).replace(/^/gm, '  | '));

const http = await api.runJobHcl(exampleJob('hello-http.nomad.hcl'), vars);
const web = await api.waitForAllocation(http, (a) => a.TaskStates?.['server']?.State === 'running', 'the HTTP service');
const port = web.AllocatedResources?.Shared?.Ports?.find((p) => p.Label === 'http');
const url = `http://${port?.HostIP}:${port?.Value}/`;
console.log(`${http}: ${url} answers: ${(await (await fetch(url)).text()).trim()}`);

await api.runJobHcl(exampleJob('mixed-group.nomad.hcl'), vars);
console.log('wasm-mixed: a raw_exec task calling a wasm service in the same group');

// A WASI 0.3 service (Python, componentize-py): the same kind of job.
const p3 = await api.runJobHcl(exampleJob('wasi-p3-http.nomad.hcl'), vars);
const p3Web = await api.waitForAllocation(p3, (a) => a.TaskStates?.['server']?.State === 'running', 'the 0.3 service');
const p3Port = p3Web.AllocatedResources?.Shared?.Ports?.find((p) => p.Label === 'http');
const p3Url = `http://${p3Port?.HostIP}:${p3Port?.Value}/`;
console.log(`${p3}: ${p3Url} answers: ${(await (await fetch(p3Url)).text()).trim()}`);

console.log(
  `\nTry:\n  export NOMAD_ADDR=${api.address}\n  ${process.env['NOMAD_BIN']} job status\n  curl ${url}\n\nCtrl-C to stop.`,
);
let stopping = false;
const stop = async (): Promise<void> => {
  if (stopping) return;
  stopping = true;
  console.log('\nstopping agent and tasks...');
  for (const job of [batch, http, 'wasm-mixed', p3]) await api.stopJob(job, true).catch(() => undefined);
  await agent.destroy();
  await components.close();
  process.exit(0);
};
process.on('SIGINT', () => void stop());
process.on('SIGTERM', () => void stop());
