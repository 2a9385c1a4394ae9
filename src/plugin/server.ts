// Assembles the gRPC server, binds the unix socket, prints the handshake and
// handles the process's life: shutdown on request, survive a dead agent.
import * as grpc from '@grpc/grpc-js';
import { rmSync } from 'node:fs';
import type { Logger } from 'pino';
import { defaultPluginConfig } from '../config/plugin-config.js';
import { TaskEventBus } from '../task/task-events.js';
import { TaskManager } from '../task/task-manager.js';
import { tracer } from '../log/logger.js';
import { baseServiceHandlers, type PluginSettings } from './base-service.js';
import { driverServiceHandlers } from './driver-service.js';
import { createTaskServices, feedTaskChannels } from './service-feeds-wiring.js';
import { addGoPluginServices } from './go-plugin-services.js';
import { checkHandshakeEnv, handshakeLine, socketPath } from './handshake.js';
import { loadProtos } from './protos.js';
import { pluginTelemetryFor } from './telemetry-wiring.js';

export async function servePlugin(log: Logger, env: NodeJS.ProcessEnv = process.env): Promise<void> {
  checkHandshakeEnv(env);
  keepAliveWithoutAgent();

  const settings: PluginSettings = { config: defaultPluginConfig, nomad: null };
  const events = new TaskEventBus();
  const services = createTaskServices(() => settings.config, events, tracer(log, 'services'));
  const telemetry = pluginTelemetryFor(() => settings.config, tracer(log, 'telemetry'));
  const manager = new TaskManager({
    log: tracer(log, 'task'),
    events,
    pluginConfig: () => settings.config,
    services,
    telemetry: telemetry.get,
  });
  feedTaskChannels(manager, services, tracer(log, 'services'));
  telemetry.feed(manager);
  const protos = loadProtos();

  const server = new grpc.Server({ 'grpc.max_receive_message_length': -1 });
  const path = socketPath(env);
  const shutdown = (): void => {
    log.debug('shutting down plugin (tasks keep running)');
    const exit = (): never => {
      rmSync(path, { force: true });
      process.exit(0);
    };
    // go-plugin SIGKILLs us 2 s after asking: finish well before that.
    setTimeout(() => {
      server.forceShutdown();
      exit();
    }, 1000).unref();
    server.tryShutdown(() => exit());
  };

  addGoPluginServices(server, protos, shutdown);
  server.addService(
    protos.base.hashicorp.nomad.plugins.base.proto.BasePlugin.service,
    baseServiceHandlers(settings, tracer(log, 'base')),
  );
  server.addService(
    protos.driver.hashicorp.nomad.plugins.drivers.proto.Driver.service,
    driverServiceHandlers({ manager, events, settings, log: tracer(log, 'driver'), onFingerprint: telemetry.get }),
  );

  await new Promise<void>((resolve, reject) => {
    server.bindAsync(`unix://${path}`, grpc.ServerCredentials.createInsecure(), (err) =>
      err ? reject(err) : resolve(),
    );
  });
  // Only now: the host dials as soon as it reads this line.
  process.stdout.write(handshakeLine(path));
  log.debug({ socket: path, pid: process.pid }, 'plugin listening');

  process.on('SIGTERM', shutdown);
  process.on('exit', () => rmSync(path, { force: true }));
}

/**
 * After an agent restart our stdio pipes have no reader: writes fail with
 * EPIPE, and that must not kill us (the new agent reattaches to this very
 * process). Ctrl-C in the agent's terminal reaches our process group too;
 * go-plugin servers ignore SIGINT and so do we.
 */
function keepAliveWithoutAgent(): void {
  process.stdout.on('error', () => undefined);
  process.stderr.on('error', () => undefined);
  process.on('SIGINT', () => undefined);
  process.on('SIGPIPE', () => undefined);
}
