// TaskManager.start gives back what it holds when a start fails midway: the
// component it was provided (a cache pin keeping the blob from garbage
// collection) is released exactly once, whatever step fails after it.
import { encode } from '@msgpack/msgpack';
import { copyFile, mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { defaultPluginConfig, type PluginConfig } from '../../src/config/plugin-config.ts';
import type { TaskConfig__Output } from '../../src/generated/hashicorp/nomad/plugins/drivers/proto/TaskConfig.ts';
import { ComponentProvider, type ProvideRequest, type ProvidedComponent } from '../../src/source/component-provider.ts';
import { TaskEventBus } from '../../src/task/task-events.ts';
import { TaskManager } from '../../src/task/task-manager.ts';
import { driverRejection } from '../support/rejection.ts';

const COMPONENTS = process.env['WASM_TEST_COMPONENTS'] ?? new URL('../../.cache/components', import.meta.url).pathname;

/** The real provider, counting the releases of what it provided. */
class CountingProvider extends ComponentProvider {
  provided = 0;
  released = 0;

  override async provide(request: ProvideRequest): Promise<ProvidedComponent> {
    const component = await super.provide(request);
    this.provided++;
    return {
      ...component,
      release: () => {
        this.released++;
        component.release();
      },
    };
  }
}

describe('a start that fails after the component was provided', () => {
  it('releases it once when the state dir cannot be created, and fails with a code', async () => {
    const allocDir = await mkdtemp(join(tmpdir(), 'start-release-'));
    const taskDir = join(allocDir, 't');
    await mkdir(join(taskDir, 'local'), { recursive: true });
    await copyFile(join(COMPONENTS, 'hello-command.wasm'), join(taskDir, 'local', 'hello-command.wasm'));
    // private/ is a file: the per-start state dir below it cannot be made.
    await writeFile(join(taskDir, 'private'), 'not a directory');
    const config: PluginConfig = { ...defaultPluginConfig, cacheDir: join(allocDir, 'cache') };
    const components = new CountingProvider(() => config);
    const manager = new TaskManager({
      log: pino({ level: 'silent' }),
      events: new TaskEventBus(),
      pluginConfig: () => config,
      components,
    });
    const task = {
      id: 'a1/t/1',
      name: 't',
      alloc_id: 'a1',
      alloc_dir: allocDir,
      namespace: 'default',
      env: {},
      msgpack_driver_config: encode({ component: 'local/hello-command.wasm' }),
      stdout_path: join(allocDir, 'stdout'),
      stderr_path: join(allocDir, 'stderr'),
    } as unknown as TaskConfig__Output;
    const err = await driverRejection(manager.start(task));
    expect(err.code).toBe('TASK_HOST_FAILED');
    expect(err.message).toMatch(/^cannot create the task's private state dir .*\/t\/private\/wasm\/1: ENOTDIR$/);
    expect(components.provided).toBe(1);
    expect(components.released).toBe(1);
    expect(manager.tasks.has('a1/t/1')).toBe(false);
  });
});
