// BasePlugin: PluginInfo, ConfigSchema, SetConfig.
//
// Nomad calls these in throw-away instances at every agent start and an
// error aborts the whole agent start, so SetConfig only decodes, checks and keeps
// the config: no side effects.
import type { Logger } from 'pino';
import { decodePluginConfig, pluginConfigSpec, type PluginConfig } from '../config/plugin-config.js';
import { checkTrustMaterial } from '../config/signature-config.js';
import { codedText, describeError } from '../errors.js';
import { insecureConnections } from '../config/insecure-connections.js';
import { PolicySet } from '../policy/policy-set.js';
import { rpcStatus } from './grpc-errors.js';
import type { BasePluginHandlers } from '../generated/hashicorp/nomad/plugins/base/proto/BasePlugin.js';
import type { NomadConfig__Output } from '../generated/hashicorp/nomad/plugins/base/proto/NomadConfig.js';
import { DRIVER_API_VERSION, DRIVER_NAME, PLUGIN_VERSION } from './plugin-info.js';

export interface PluginSettings {
  config: PluginConfig;
  /** Present only in the long-lived instance: CPU topology for TaskStats ticks. */
  nomad: NomadConfig__Output | null;
}

export function baseServiceHandlers(settings: PluginSettings, log: Logger): BasePluginHandlers {
  /** Warnings already given by this process: each once, however often Nomad sets the config. */
  const warned = new Set<string>();
  return {
    PluginInfo: (_call, callback) => {
      callback(null, {
        type: 'DRIVER',
        plugin_api_versions: [DRIVER_API_VERSION],
        plugin_version: PLUGIN_VERSION,
        name: DRIVER_NAME,
      });
    },
    ConfigSchema: (_call, callback) => {
      callback(null, { spec: pluginConfigSpec });
    },
    SetConfig: (call, callback) => {
      const apply = async (): Promise<void> => {
        const config = decodePluginConfig(call.request.msgpack_config);
        await checkTrustMaterial(config.signatures);
        // Loads and checks every policy bundle now (a builtin the driver lacks is named here), not at the first task.
        PolicySet.for(config.policy);
        settings.config = config;
        if (call.request.nomad_config) {
          settings.nomad = call.request.nomad_config;
          // Only the long-lived instance gets nomad_config: the throw-away ones stay quiet.
          for (const { endpoint, message } of insecureConnections(config)) {
            if (warned.has(message)) continue;
            warned.add(message);
            log.warn({ code: 'CONNECTION_INSECURE', endpoint }, codedText('CONNECTION_INSECURE', message));
          }
        }
        log.debug({ cache_dir: config.cacheDir, api: call.request.plugin_api_version }, 'plugin configured');
      };
      apply().then(
        () => callback(null, {}),
        (err: unknown) => {
          log.error({ err: describeError(err) }, 'rejected plugin config');
          callback(rpcStatus(err));
        },
      );
    },
  };
}
