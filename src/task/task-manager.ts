// The driver's task lifecycle, independent of gRPC: start, recover, stop,
// destroy. The protocol layer (src/plugin/driver-service.ts) maps Nomad's
// RPCs onto this class.
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { decodeTaskConfig } from '../config/task-config.js';
import type { PluginConfig } from '../config/plugin-config.js';
import { DriverError, describeError } from '../errors.js';
import type { TaskConfig__Output } from '../generated/hashicorp/nomad/plugins/drivers/proto/TaskConfig.js';
import type { TaskHandle__Output } from '../generated/hashicorp/nomad/plugins/drivers/proto/TaskHandle.js';
import { ComponentProvider, type ProvidedComponent } from '../source/component-provider.js';
import { serviceTaskOf, type PluginServiceFeeds } from '../services/plugin-service-feeds.js';
import { decodeDriverState, type DriverState } from './driver-state.js';
import { describeGrants, grantsFor } from './decide-grants.js';
import { listenAddressFor } from './http-port.js';
import type { LaunchSpec, ProgressMessage } from '../ipc/launch-spec.js';
import { launchTaskHost } from './launcher.js';
import type { TaskEventBus } from './task-events.js';
import { TaskStore } from './task-store.js';
import { WasmTask, exitFilePath } from './wasm-task.js';
import { describeSecrets, vaultSpecFor } from './vault-spec.js';
import { controlSocketPath, type HostMessage } from '../ipc/control-protocol.js';
import { HostChannel } from './host-channel.js';
import { isSameProcessAlive } from './proc-stat.js';
import { whyNotPooled } from './pool-eligibility.js';
import { PooledTaskHandle } from './pooled-task-handle.js';
import { PoolSet } from './pools.js';
import type { PooledLaunchSpec } from '../ipc/pool-protocol.js';
import { StartAdmission, type StartContext } from './start-admission.js';
import type { PluginTelemetry, StartTrace } from '../telemetry/plugin-telemetry.js';
import { nomadIdentityOf, taskTelemetrySpec } from './telemetry-spec.js';
import { ATTR_NOMAD_NAMESPACE, ATTR_WASM_TIER } from '../telemetry/semconv.js';

export interface TaskManagerDeps {
  readonly log: Logger;
  readonly events: TaskEventBus;
  readonly pluginConfig: () => PluginConfig;
  /** How long a component may take to load and compile before StartTask fails. */
  readonly readyTimeoutMs?: number;
  /** Resolves `allow_services` (the plugin's node-wide service watches). */
  readonly services?: PluginServiceFeeds;
  /** The plugin's telemetry when the node configures it (started on first use). */
  readonly telemetry?: () => Promise<PluginTelemetry | undefined>;
}

/** What a capability does with a message from a task host (registered with onHostMessage). */
export type HostMessageHandler = (task: WasmTask, message: HostMessage, channel: HostChannel) => void;

export class TaskManager {
  readonly tasks = new TaskStore();
  private readonly components: ComponentProvider;
  private readonly admission: StartAdmission;
  private readonly hostMessageHandlers = new Map<string, HostMessageHandler>();
  private readonly connectHandlers: Array<(task: WasmTask, channel: HostChannel) => void> = [];
  /** Pool hosts (`isolation = "pooled"`, or pooled tasks recovered after a restart). */
  private readonly pools: PoolSet;

  constructor(private readonly deps: TaskManagerDeps) {
    this.components = new ComponentProvider(deps.pluginConfig);
    this.admission = new StartAdmission(deps.pluginConfig);
    this.pools = new PoolSet(deps.log, (taskId, message, annotations) => {
      const task = this.tasks.find(taskId);
      if (task) this.event(task.config, message, { ...annotations });
    });
  }

  async start(config: TaskConfig__Output): Promise<WasmTask> {
    if (this.tasks.has(config.id))
      throw new DriverError('TASK_ALREADY_STARTED', `task with id ${config.id} already started`);
    const telemetry = await this.deps.telemetry?.();
    const trace = telemetry?.taskStart(nomadIdentityOf(config), {
      [ATTR_WASM_TIER]: this.deps.pluginConfig().isolation.mode,
    });
    try {
      const task = await this.startTraced(config, telemetry, trace);
      trace?.end();
      return task;
    } catch (err) {
      trace?.end(err);
      throw err;
    }
  }

  private async startTraced(
    config: TaskConfig__Output,
    telemetry: PluginTelemetry | undefined,
    trace: StartTrace | undefined,
  ): Promise<WasmTask> {
    const log = this.deps.log.child({ task_id: config.id });
    const taskConfig = decodeTaskConfig(config.msgpack_driver_config);
    const taskDir = join(config.alloc_dir, config.name);
    const memory = config.resources?.allocated_resources?.memory;
    const grants = await grantsFor(
      taskConfig,
      {
        taskDir,
        allocDir: config.alloc_dir,
        env: config.env,
        memoryMb: Number(memory?.memory_mb ?? 0),
        memoryMaxMb: Number(memory?.memory_max_mb ?? 0),
      },
      this.deps.pluginConfig().ceilings,
    );
    const audit = describeGrants(grants);
    const http = taskConfig.port === undefined ? undefined : listenAddressFor(taskConfig.port, config);

    // Audit evidence of what this task may do, before anything of it runs.
    this.event(
      config,
      `Grants: ${Object.entries(audit)
        .map(([k, v]) => `${k}=${v}`)
        .join(' ')}`,
      audit,
    );
    log.info({ grants: audit }, 'effective grants');
    // Asked now, answered while the component loads; awaited before launch.
    const serviceSets = taskConfig.allowServices?.length
      ? this.deps.services?.initialSets(serviceTaskOf(config), taskConfig.allowServices)
      : undefined;
    serviceSets?.catch(() => undefined); // a start that fails before awaiting it must not leave it unhandled
    const isolation = this.deps.pluginConfig().isolation;
    const notPooled = isolation.mode === 'pooled' ? whyNotPooled(taskConfig) : undefined;
    if (notPooled) this.event(config, `Running in a task host process of its own, not in a pool: ${notPooled}`);
    const vault = await vaultSpecFor(taskConfig.configGrants, taskDir, config.env, this.deps.pluginConfig().vault);
    if (vault) this.event(config, describeSecrets(vault));
    const { component, digest } = await this.admittedComponent({
      config,
      taskConfig,
      namespace: config.namespace || 'default',
      memoryMb: Number(memory?.memory_mb ?? 0),
      memoryMaxMb: Number(memory?.memory_max_mb ?? 0),
      report: (message, annotations) => this.event(config, message, annotations),
      log,
      ...(trace ? { phase: (name, work) => trace.phase(name, work) } : {}),
      ...(telemetry
        ? {
            timePolicy: (work) =>
              telemetry.policyEvaluation(trace, { [ATTR_NOMAD_NAMESPACE]: config.namespace || 'default' }, work),
          }
        : {}),
    });

    // Per-start private dir (Nomad gives each start a new id), hidden from the task.
    const stateDir = join(taskDir, 'private', 'wasm', config.id.split('/').pop() ?? 'task');
    await mkdir(stateDir, { recursive: true, mode: 0o700 });
    const services = await serviceSets?.catch((err: unknown) => {
      component.release();
      throw err;
    });
    const pooled = isolation.mode === 'pooled' && !notPooled;
    const launch = trace?.launch();
    const telemetrySettings = telemetry ? this.deps.pluginConfig().telemetry : undefined;
    const spec: LaunchSpec = {
      ...(telemetrySettings
        ? {
            telemetry: taskTelemetrySpec(
              telemetrySettings,
              nomadIdentityOf(config),
              taskConfig.telemetry,
              pooled ? 'pooled' : 'process',
              launch?.traceparent,
            ),
          }
        : {}),
      version: 2,
      taskId: config.id,
      componentPath: component.path,
      ...(digest ? { componentDigest: digest } : {}),
      cacheDir: this.deps.pluginConfig().cacheDir,
      exitFile: exitFilePath(stateDir),
      stateDir,
      grants,
      ...(services ? { services } : {}),
      ...(http ? { http } : {}),
      ...(vault ? { vault } : {}),
    };

    this.event(config, `Loading component ${taskConfig.component}`);
    const startedAtMs = Date.now();
    try {
      const task = await this.launch(config, spec, { pooled, http, startedAtMs, log, release: component.release });
      launch?.end();
      return task;
    } catch (err) {
      launch?.end(err);
      throw err;
    }
  }

  /** Starts the task host (or pool task) of a spec and waits for it to be ready. */
  private async launch(
    config: TaskConfig__Output,
    spec: LaunchSpec,
    how: {
      pooled: boolean;
      http: { host: string; port: number } | undefined;
      startedAtMs: number;
      log: Logger;
      release: () => void;
    },
  ): Promise<WasmTask> {
    const { http, startedAtMs, log } = how;
    const isolation = this.deps.pluginConfig().isolation;
    if (how.pooled && isolation.mode === 'pooled') {
      const pooledSpec: PooledLaunchSpec = {
        ...spec,
        logPaths: { stdout: config.stdout_path, stderr: config.stderr_path },
      };
      return this.startPooled(config, pooledSpec, isolation.maxTasks, startedAtMs, http?.host).finally(how.release);
    }
    const launched = await launchTaskHost(spec, {
      stdoutPath: config.stdout_path,
      stderrPath: config.stderr_path,
      readyTimeoutMs: this.deps.readyTimeoutMs ?? 5 * 60_000,
      onProgress: (message) => this.onProgress(config, message),
      log,
      // Loading the Vault client takes a while: spares of a node with Vault do it ahead.
      spareArgs: [
        ...(this.deps.pluginConfig().vault ? ['--preload-vault'] : []),
        // The SDK and its exporter take a while to load: spares of a node with telemetry load them ahead.
        ...(spec.telemetry ? ['--preload-telemetry'] : []),
      ],
    }).finally(how.release);
    const { ready } = launched;
    const state: DriverState = {
      version: 1,
      pid: launched.pid,
      startTicks: launched.startTicks,
      startedAtMs,
      stateDir: spec.stateDir,
      world: ready.world,
      digest: ready.digest,
      ...(ready.port !== undefined ? { port: ready.port } : {}),
    };
    const task = WasmTask.fromChild(config, state, launched.exit);
    this.tasks.add(task);
    this.openChannel(task);
    const what =
      ready.world === 'http'
        ? `wasi:http service listening on ${http?.host}:${ready.port}`
        : 'wasi:cli command running';
    this.event(config, `Component started: ${what}`, {
      digest: ready.digest,
      start_ms: String(Date.now() - startedAtMs),
    });
    log.info({ pid: launched.pid, world: ready.world, digest: ready.digest }, 'started task');
    return task;
  }

  /**
   * Brings the component onto the node and admits it (signature,
   * attestations, policy); the job's previous version is asked for meanwhile.
   */
  private async admittedComponent(
    start: StartContext,
  ): Promise<{ component: ProvidedComponent; digest: string | undefined }> {
    const history = this.admission.beginHistory(start);
    const component = await this.components.provide({
      taskConfig: start.taskConfig,
      taskDir: join(start.config.alloc_dir, start.config.name),
      report: (message) => start.report(message),
      log: start.log,
      ...(start.phase ? { phase: start.phase } : {}),
    });
    const record = await this.admission.admit(component, start, history);
    // The task host finds the compiled form by digest without reading the bytes, when it is known.
    const digest = component.fetched.kind !== 'file' ? component.fetched.digest : record.digest;
    return { component, digest };
  }

  /** Starts a task in a pool host with room (pools.ts); the pool opens its log FIFOs. */
  private async startPooled(
    config: TaskConfig__Output,
    spec: PooledLaunchSpec,
    maxTasks: number,
    startedAtMs: number,
    host: string | undefined,
  ): Promise<WasmTask> {
    const { pool, release } = await this.pools.place(spec.cacheDir, maxTasks);
    let ready;
    try {
      const starting = pool.start(
        spec,
        (message) => this.onProgress(config, message),
        this.deps.readyTimeoutMs ?? 5 * 60_000,
      );
      release();
      ready = await starting;
    } finally {
      release();
    }
    const state: DriverState = {
      version: 1,
      pid: pool.pid,
      startTicks: pool.startTicks,
      startedAtMs,
      stateDir: spec.stateDir,
      world: ready.world,
      digest: ready.digest,
      ...(ready.port !== undefined ? { port: ready.port } : {}),
      pooled: true,
    };
    const task = PooledTaskHandle.inPool(config, state, pool);
    this.tasks.add(task);
    const what =
      ready.world === 'http' ? `wasi:http service listening on ${host}:${ready.port}` : 'wasi:cli command running';
    this.event(config, `Component started in pool host ${pool.pid}: ${what}`, {
      digest: ready.digest,
      start_ms: String(Date.now() - startedAtMs),
    });
    this.deps.log.info(
      { task_id: config.id, pool_pid: pool.pid, world: ready.world, digest: ready.digest },
      'started pooled task',
    );
    return task;
  }

  /**
   * Re-attaches to a task after a plugin or agent restart. A task that ended
   * while nobody watched is recovered as exited, so WaitTask still reports
   * how it ended.
   */
  recover(handle: TaskHandle__Output): void {
    const config = handle.config;
    if (!config?.id)
      throw new DriverError('TASK_RECOVER_FAILED', 'task handle has no task config (was it written by this driver?)');
    if (this.tasks.has(config.id)) return; // reattached to a live plugin: already tracked
    const state = decodeDriverState(handle.driver_state);
    if (state.pooled) {
      // Re-attached by the pool's pid and the task id; a pool that is gone ends the task (pool-client.ts).
      this.tasks.add(PooledTaskHandle.inPool(config, state, this.pools.attach(state.pid, state.startTicks)));
      this.deps.log.info({ task_id: config.id, pool_pid: state.pid }, 'recovered pooled task');
      return;
    }
    const task = WasmTask.recovered(config, state);
    this.tasks.add(task);
    this.openChannel(task);
    this.deps.log.info({ task_id: config.id, pid: state.pid }, 'recovered task');
  }

  /** Unknown ids succeed: Nomad retries failed stops and we must not fight it. */
  async stop(id: string, signal: string, timeoutMs: number): Promise<void> {
    const task = this.tasks.find(id);
    if (!task) return;
    await task.stop(signal, timeoutMs);
  }

  async destroy(id: string, force: boolean): Promise<void> {
    const task = this.tasks.find(id);
    if (!task) return;
    if (task.isRunning) {
      if (!force)
        throw new DriverError('TASK_STILL_RUNNING', `task ${id} is still running; stop it first or destroy with force`);
      await task.stop('SIGKILL', 0);
    }
    this.tasks.delete(id);
    await rm(task.state.stateDir, { recursive: true, force: true }).catch((err: unknown) => {
      this.deps.log.warn({ task_id: id, err: describeError(err) }, 'could not remove task state dir');
    });
  }

  /** How a capability handles task-host messages of one type (`event` is built in). */
  onHostMessage(type: Exclude<HostMessage['type'], 'event'>, handler: HostMessageHandler): void {
    this.hostMessageHandlers.set(type, handler);
  }

  /** Called whenever a task's control channel (re)connects. */
  onChannelConnect(handler: (task: WasmTask, channel: HostChannel) => void): void {
    this.connectHandlers.push(handler);
  }

  /**
   * The task's control channel, for as long as it runs: events from the task
   * host become task events; other messages go to their capability.
   */
  private openChannel(task: WasmTask): void {
    const { pid, startTicks } = task.state;
    const log = this.deps.log.child({ task_id: task.id });
    const channel = HostChannel.open({
      path: controlSocketPath(pid),
      isAlive: async () => task.isRunning && (await isSameProcessAlive(pid, startTicks)),
      onMessage: (message) => {
        if (message.type === 'event') this.event(task.config, message.message, { ...message.annotations });
        else this.hostMessageHandlers.get(message.type)?.(task, message, channel);
      },
      onConnect: (connected) => {
        for (const handler of this.connectHandlers) handler(task, connected);
      },
      onProblem: (what) => log.debug({ what }, 'task host control channel'),
    });
    void task.wait().then(() => channel.close());
  }

  private onProgress(config: TaskConfig__Output, message: ProgressMessage): void {
    if (message.type !== 'phase') return;
    if (message.phase === 'compiling')
      this.event(config, 'Compiling component (first start of this digest on this node)');
    if (message.phase === 'cached') this.event(config, 'Using compiled component from the node cache');
  }

  private event(config: TaskConfig__Output, message: string, annotations: Record<string, string> = {}): void {
    this.deps.events.publish({
      taskId: config.id,
      allocId: config.alloc_id,
      taskName: config.name,
      message,
      annotations,
    });
  }
}
