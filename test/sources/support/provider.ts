// Drives the driver's ComponentProvider the way TaskManager.start does, with
// a real cache dir and a task dir, collecting the task events it emits.
import { mkdir, mkdtemp, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { defaultPluginConfig, type PluginConfig } from '../../../src/config/plugin-config.js';
import type { WasmTaskConfig } from '../../../src/config/task-config.js';
import { ComponentProvider, type ProvidedComponent } from '../../../src/source/component-provider.js';

export interface Harness {
  readonly cacheDir: string;
  readonly taskDir: string;
  config: PluginConfig;
  readonly events: string[];
  provide(component: string, extra?: Partial<WasmTaskConfig>, namespace?: string): Promise<ProvidedComponent>;
  /** Blob digests in the cache. */
  cachedBlobs(): Promise<string[]>;
}

const log = pino({ level: 'silent' });

export async function providerHarness(overrides: Partial<PluginConfig> = {}): Promise<Harness> {
  const root = await mkdtemp(join(tmpdir(), 'provider-'));
  const cacheDir = join(root, 'cache');
  const taskDir = join(root, 'alloc', 'task');
  await mkdir(join(taskDir, 'local'), { recursive: true });
  const harness: Harness = {
    cacheDir,
    taskDir,
    config: { ...defaultPluginConfig, cacheDir, ...overrides },
    events: [],
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
      const provided = await shared.provide({
        taskConfig,
        taskDir,
        namespace,
        report: (message) => harness.events.push(message),
        log,
      });
      provided.release();
      return provided;
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
  return harness;
}
