// Drives the driver's ComponentProvider and admission the way
// TaskManager.start does, with a real cache dir and a task dir, collecting
// the task events they emit.
import { mkdir, mkdtemp, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { defaultPluginConfig, type PluginConfig } from '../../../src/config/plugin-config.js';
import type { WasmTaskConfig } from '../../../src/config/task-config.js';
import type { TaskConfig__Output } from '../../../src/generated/hashicorp/nomad/plugins/drivers/proto/TaskConfig.js';
import { ComponentProvider, type ProvidedComponent } from '../../../src/source/component-provider.js';
import { StartAdmission, type StartContext } from '../../../src/task/start-admission.js';
import type { AdmissionRecord } from '../../../src/trust/admission.js';
import type { SignatureOutcome } from '../../../src/trust/signature-check.js';

/** What a start got: the component, the whole admission record, and its signature part with the digest. */
export type HarnessStart = ProvidedComponent & {
  readonly record: AdmissionRecord;
  readonly admission: SignatureOutcome & { readonly digest?: string };
};

export interface Harness {
  readonly cacheDir: string;
  readonly taskDir: string;
  config: PluginConfig;
  readonly events: string[];
  /** Policy inputs and decisions admission logged (debug level), in order. */
  readonly inputs: unknown[];
  readonly decisions: unknown[];
  provide(component: string, extra?: Partial<WasmTaskConfig>, namespace?: string): Promise<HarnessStart>;
  /** Blob digests in the cache. */
  cachedBlobs(): Promise<string[]>;
}

export async function providerHarness(overrides: Partial<PluginConfig> = {}): Promise<Harness> {
  // The plugin's own log lines, read back: admission logs each input and decision.
  const log = pino(
    { level: 'debug' },
    {
      write(line: string) {
        const entry = JSON.parse(line) as { msg?: string; input?: unknown; decision?: unknown };
        if (entry.msg === 'policy input') harness.inputs.push(entry.input);
        if (entry.msg === 'policy decision') harness.decisions.push(entry.decision);
      },
    },
  );
  const root = await mkdtemp(join(tmpdir(), 'provider-'));
  const cacheDir = join(root, 'cache');
  const taskDir = join(root, 'alloc', 'task');
  await mkdir(join(taskDir, 'local'), { recursive: true });
  const harness: Harness = {
    cacheDir,
    taskDir,
    config: { ...defaultPluginConfig, cacheDir, ...overrides },
    events: [],
    inputs: [],
    decisions: [],
    async provide(component, extra = {}, namespace = 'default') {
      const taskConfig: WasmTaskConfig = {
        component,
        checksum: undefined,
        auth: undefined,
        args: [],
        env: {},
        passEnv: [],
        port: undefined,
        mounts: [],
        allowHttp: [],
        httpInstance: 'shared',
        ...extra,
      };
      const start: StartContext = {
        config: taskConfigFor(taskDir, namespace),
        taskConfig,
        namespace,
        memoryMb: 64, // resources { memory = 64 }, as the example policies want a ceiling
        memoryMaxMb: 0,
        report: (message) => harness.events.push(message),
        log,
      };
      const history = admission.beginHistory(start);
      const provided = await shared.provide({ taskConfig, taskDir, report: start.report, log });
      const record = await admission.admit(provided, start, history);
      provided.release();
      return { ...provided, record, admission: { ...record.signature, digest: record.digest } };
    },
    async cachedBlobs() {
      const names = await readdir(join(cacheDir, 'blobs', 'sha256')).catch((err: NodeJS.ErrnoException) => {
        if (err.code === 'ENOENT') return [];
        throw err;
      });
      return names.map((hex) => `sha256:${hex}`);
    },
  };
  const shared = new ComponentProvider(() => harness.config);
  const admission = new StartAdmission(() => harness.config);
  return harness;
}

/** The parts of Nomad's TaskConfig admission reads. */
function taskConfigFor(taskDir: string, namespace: string): TaskConfig__Output {
  const parts = taskDir.split('/');
  return {
    id: 'alloc-1/task/1',
    name: parts.at(-1) ?? 'task',
    alloc_dir: parts.slice(0, -1).join('/'),
    namespace,
    job_id: 'job',
    job_name: 'job',
    parent_job_id: '',
    task_group_name: 'group',
    alloc_id: 'alloc-1',
    node_id: 'node-1',
    node_name: 'node',
    env: {},
  } as unknown as TaskConfig__Output;
}
