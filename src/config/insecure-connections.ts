// The node's connections that do not protect what crosses them: a Vault
// address over plain http:// (the task's Vault token travels with every
// request) or with tls_skip_verify (it goes to whichever server answers),
// and Consul or Nomad catalogs over plain http:// (the plugin's token, and
// the service addresses components are routed to). Said once in the plugin
// log when the plugin is configured (base-service.ts) and as a task event
// of every task that uses the connection (task-manager.ts). A loopback
// address is not warned about: the traffic never leaves the node.
import type { PluginConfig } from './plugin-config.js';

export interface InsecureConnection {
  readonly endpoint: 'vault' | 'consul' | 'nomad';
  readonly message: string;
}

export function insecureConnections(config: PluginConfig): InsecureConnection[] {
  const found: InsecureConnection[] = [];
  const vault = config.vault;
  if (vault && isPlainRemote(vault.address))
    found.push({
      endpoint: 'vault',
      message: `Vault at ${vault.address} is plain HTTP: the task's Vault token and its secrets cross the network unencrypted; use https:// (plugin "wasm" config vault.address)`,
    });
  if (vault?.tlsSkipVerify)
    found.push({
      endpoint: 'vault',
      message: `Vault at ${vault.address} is used with tls_skip_verify = true: the task's Vault token goes to whichever server answers; give vault.ca_cert instead`,
    });
  for (const [endpoint, catalog] of [
    ['consul', config.services.consul],
    ['nomad', config.services.nomad],
  ] as const) {
    if (!isPlainRemote(catalog.url)) continue;
    const name = endpoint === 'consul' ? 'Consul' : 'Nomad';
    const what = catalog.token
      ? `the plugin's ${name} token and the service addresses components are routed to cross`
      : 'the service addresses components are routed to cross';
    found.push({
      endpoint,
      message: `${name} at ${catalog.url} is plain HTTP: ${what} the network unprotected; use https:// (plugin "wasm" config ${endpoint}.address)`,
    });
  }
  return found;
}

/** http:// to anything but this node itself. */
function isPlainRemote(address: string): boolean {
  let url: URL;
  try {
    url = new URL(address);
  } catch {
    return false; // refused when the config was decoded
  }
  if (url.protocol !== 'http:') return false;
  const host = url.hostname.replace(/^\[|\]$/g, '');
  return !(host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host));
}
