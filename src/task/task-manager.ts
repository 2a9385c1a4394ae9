// The driver's task lifecycle, independent of gRPC: start, recover, stop,
// destroy. The protocol layer (src/plugin/driver-service.ts) maps Nomad's
// RPCs onto this class.
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { decodeTaskConfig, type WasmTaskConfig } from '../config/task-config.js';
import { insecureConnections } from '../config/insecure-connections.js';
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
import type { Grants, HttpInstanceMode } from '../ipc/grants.js';
import { launchTaskHost } from './launcher.js';
import type { TaskEventBus } from './task-events.js';
import { TaskStore } from './task-store.js';
import { WasmTask, exitFilePath } from './wasm-task.js';
import { describeSecrets, vaultSpecFor } from './vault-spec.js';
import { describeKeyValueStores, keyValueBackendFor } from './key-value-spec.js';
import { checkSpinManifest } from './spin-manifest.js';
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
  /** Where components come from; by default the node's cache under the plugin config's cache_dir. */
  readonly components?: ComponentProvider;
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
  /** Tasks between StartTask and their reply, by id. */
  private readonly starting = new Map<string, TaskConfig__Output>();

  constructor(private readonly deps: TaskManagerDeps) {
    this.components = deps.components ?? new ComponentProvider(deps.pluginConfig);
    this.admission = new StartAdmission(deps.pluginConfig);
    this.pools = new PoolSet(deps.log, (taskId, message, annotations) => {
      // A pooled task's events may come before its start has returned (a warning while it loads).
      const config = this.tasks.find(taskId)?.config ?? this.starting.get(taskId);
      if (config) this.event(config, message, { ...annotations });
    });
  }

  async start(config: TaskConfig__Output): Promise<WasmTask> {
    if (this.tasks.has(config.id) || this.starting.has(config.id))
      throw new DriverError('TASK_ALREADY_STARTED', `task with id ${config.id} already started`);
    this.starting.set(config.id, config);
    try {
      // One snapshot of the plugin config per start: a SetConfig meanwhile applies to the next one.
      const plugin = this.deps.pluginConfig();
      const telemetry = await this.deps.telemetry?.();
      const trace = telemetry?.taskStart(nomadIdentityOf(config), { [ATTR_WASM_TIER]: plugin.isolation.mode });
      try {
        const task = await this.startTraced(config, plugin, telemetry, trace);
        trace?.end();
        return task;
      } catch (err) {
        trace?.end(err);
        throw err;
      }
    } finally {
      this.starting.delete(config.id);
    }
  }

  private async startTraced(
    config: TaskConfig__Output,
    plugin: PluginConfig,
    telemetry: PluginTelemetry | undefined,
    trace: StartTrace | undefined,
  ): Promise<WasmTask> {
    const log = this.deps.log.child({ task_id: config.id });
    const taskConfig = decodeTaskConfig(config.msgpack_driver_config);
    const taskDir = join(config.alloc_dir, config.name);
    const grants = await this.decideGrants(config, taskConfig, taskDir, plugin, log);
    const http = taskConfig.port === undefined ? undefined : listenAddressFor(taskConfig.port, config);
    // Asked now, answered while the component loads; awaited before launch.
    const serviceSets = taskConfig.allowServices?.length
      ? this.deps.services?.initialSets(serviceTaskOf(config), taskConfig.allowServices)
      : undefined;
    serviceSets?.catch(() => undefined); // a start that fails before awaiting it must not leave it unhandled
    const notPooled = plugin.isolation.mode === 'pooled' ? whyNotPooled(taskConfig) : undefined;
    if (notPooled) this.event(config, `Running in a task host process of its own, not in a pool: ${notPooled}`);
    const { vault, keyValue } = await this.taskBackends(config, taskConfig, taskDir, plugin, serviceSets !== undefined);
    const { component, digest } = await this.admittedComponent(
      this.startContext(config, taskConfig, log, telemetry, trace),
    );
    // Held until the task host (or pool) has the component open, whatever fails before.
    try {
      const stateDir = await createStateDir(taskDir, config.id);
      const services = await serviceSets;
      const pooled = plugin.isolation.mode === 'pooled' && !notPooled;
      const launch = trace?.launch();
      const telemetrySettings = telemetry ? plugin.telemetry : undefined;
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
        cacheDir: plugin.cacheDir,
        exitFile: exitFilePath(stateDir),
        stateDir,
        grants,
        ...(services ? { services } : {}),
        ...(http ? { http } : {}),
        ...(vault ? { vault } : {}),
        ...(keyValue ? { keyValue } : {}),
      };
      this.event(config, `Loading component ${taskConfig.component}`);
      const startedAtMs = Date.now();
      try {
        const task =
          pooled && plugin.isolation.mode === 'pooled'
            ? await this.startPooled(
                config,
                { ...spec, logPaths: { stdout: config.stdout_path, stderr: config.stderr_path } },
                plugin.isolation.maxTasks,
                startedAtMs,
                http?.host,
              )
            : await this.startInTaskHost(config, spec, plugin, startedAtMs, log);
        launch?.end();
        return task;
      } catch (err) {
        launch?.end(err);
        throw err;
      }
    } finally {
      component.release();
    }
  }

  /**
   * The Vault secrets and key-value stores the task's host will reach (after
   * its Spin manifest, if any, is checked against the grants), each said in an
   * event, with a warning for a connection of the node that does not protect
   * the task's token.
   */
  private async taskBackends(
    config: TaskConfig__Output,
    taskConfig: WasmTaskConfig,
    taskDir: string,
    plugin: PluginConfig,
    usesServices: boolean,
  ): Promise<{ vault: LaunchSpec['vault']; keyValue: LaunchSpec['keyValue'] }> {
    for (const note of await checkSpinManifest(taskConfig, taskDir)) this.event(config, note);
    const vault = await vaultSpecFor(taskConfig.configGrants, taskDir, config.env, plugin.vault);
    if (vault) this.event(config, describeSecrets(vault));
    const keyValue = keyValueBackendFor(taskConfig, plugin.services.consul);
    if (keyValue) this.event(config, describeKeyValueStores(taskConfig, keyValue));
    this.warnInsecureConnections(config, plugin, {
      vault: vault !== undefined,
      services: usesServices,
      keyValue: keyValue !== undefined,
    });
    return { vault, keyValue };
  }

  /** The grants within the node's ceilings, published as audit evidence before anything of the task runs. */
  private async decideGrants(
    config: TaskConfig__Output,
    taskConfig: WasmTaskConfig,
    taskDir: string,
    plugin: PluginConfig,
    log: Logger,
  ): Promise<Grants> {
    const memory = config.resources?.allocated_resources?.memory;
    const grants = await grantsFor(
      taskConfig,
      {
        taskDir,
        allocDir: config.alloc_dir,
        env: config.env,
        memoryMb: Number(memory?.memory_mb ?? 0),
        memoryMaxMb: Number(memory?.memory_max_mb ?? 0),
        report: (message) => this.event(config, message),
      },
      plugin.ceilings,
    );
    const audit = describeGrants(grants);
    this.event(
      config,
      `Grants: ${Object.entries(audit)
        .map(([k, v]) => `${k}=${v}`)
        .join(' ')}`,
      audit,
    );
    log.info({ grants: audit }, 'effective grants');
    return grants;
  }

  /** A task event for each connection of the node that the task uses and that does not protect its token. */
  private warnInsecureConnections(
    config: TaskConfig__Output,
    plugin: PluginConfig,
    uses: { readonly vault: boolean; readonly services: boolean; readonly keyValue: boolean },
  ): void {
    const used = { vault: uses.vault, consul: uses.services || uses.keyValue, nomad: uses.services };
    for (const warning of insecureConnections(plugin)) {
      if (used[warning.endpoint])
        this.event(config, warning.message, { code: 'CONNECTION_INSECURE', endpoint: warning.endpoint });
    }
  }

  /** Starts a task in a task host process of its own (launcher.ts), or its spare. */
  private async startInTaskHost(
    config: TaskConfig__Output,
    spec: LaunchSpec,
    plugin: PluginConfig,
    startedAtMs: number,
    log: Logger,
  ): Promise<WasmTask> {
    const launched = await launchTaskHost(spec, {
      stdoutPath: config.stdout_path,
      stderrPath: config.stderr_path,
      readyTimeoutMs: this.deps.readyTimeoutMs ?? 5 * 60_000,
      onProgress: (message) => this.onProgress(config, message),
      log,
      spareArgs: [
        // Loading the Vault client takes a while: spares of a node with Vault do it ahead.
        ...(plugin.vault ? ['--preload-vault'] : []),
        // The SDK and its exporter take a while to load: spares of a node with telemetry load them ahead.
        ...(spec.telemetry ? ['--preload-telemetry'] : []),
      ],
    });
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
    this.event(config, `Component started: ${startedWhat(ready, spec.http?.host, spec.grants.httpInstance)}`, {
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
  /** What admission knows of this start: the task, its resources, and where its events and phases go. */
  private startContext(
    config: TaskConfig__Output,
    taskConfig: WasmTaskConfig,
    log: Logger,
    telemetry: PluginTelemetry | undefined,
    trace: StartTrace | undefined,
  ): StartContext {
    const memory = config.resources?.allocated_resources?.memory;
    const namespace = config.namespace || 'default';
    return {
      config,
      taskConfig,
      namespace,
      memoryMb: Number(memory?.memory_mb ?? 0),
      memoryMaxMb: Number(memory?.memory_max_mb ?? 0),
      report: (message, annotations) => this.event(config, message, annotations),
      log,
      ...(trace ? { phase: (name, work) => trace.phase(name, work) } : {}),
      ...(telemetry
        ? { timePolicy: (work) => telemetry.policyEvaluation(trace, { [ATTR_NOMAD_NAMESPACE]: namespace }, work) }
        : {}),
    };
  }

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
    this.event(
      config,
      `Component started in pool host ${pool.pid}: ${startedWhat(ready, host, spec.grants.httpInstance)}`,
      {
        digest: ready.digest,
        start_ms: String(Date.now() - startedAtMs),
      },
    );
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
    if (message.phase === 'adapting')
      this.event(config, 'Adapting a WASI preview1 module into a component (the preview1 command adapter of jco)');
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

/**
 * What the start event says runs: `wasi:http service listening on …`,
 * marked when it is WASI 0.3, with how its requests share instances
 * (0.3 handlers are async: src/runtime/p3-instances.ts).
 */
function startedWhat(
  ready: Extract<ProgressMessage, { type: 'ready' }>,
  host: string | undefined,
  httpInstance: HttpInstanceMode,
): string {
  if (ready.wasi !== '0.3')
    return ready.world === 'http' ? `wasi:http service listening on ${host}:${ready.port}` : 'wasi:cli command running';
  if (ready.world !== 'http') return 'WASI 0.3 wasi:cli command running';
  const instances =
    httpInstance === 'per-request' ? 'an instance of its own for every request' : 'one shared instance, async';
  return `WASI 0.3 wasi:http service listening on ${host}:${ready.port} (${instances})`;
}

/** The start's private dir (Nomad gives each start a new id), hidden from the task. */
async function createStateDir(taskDir: string, taskId: string): Promise<string> {
  const stateDir = join(taskDir, 'private', 'wasm', taskId.split('/').pop() ?? 'task');
  await mkdir(stateDir, { recursive: true, mode: 0o700 }).catch((err: unknown) => {
    throw new DriverError(
      'TASK_HOST_FAILED',
      `cannot create the task's private state dir ${stateDir}: ${(err as NodeJS.ErrnoException).code ?? describeError(err)}`,
      { cause: err },
    );
  });
  return stateDir;
}
