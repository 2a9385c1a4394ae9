// Checks a job against the spin.toml of the Spin app it runs: every
// key-value store, variable and outbound HTTP host the component's manifest
// asks for must be granted by the task config, or the start fails with
// SPIN_GRANT_MISSING listing what to add. Entries the driver cannot grant
// at all (other schemes, any host, any port) come back as notes for the
// task's events: the component starts and those calls fail.
import { DriverError } from '../errors.js';
import { coveredBy, isAllowed, type AllowEntry } from '../wasi/http-allow-list.js';
import type { KeyValueStoreGrant } from './granted-stores.js';
import type { SpinComponentNeeds } from './manifest.js';
import { variableNameOf } from './variables.js';

/** What the job grants, as far as a Spin manifest can ask for it. */
export interface SpinJobGrants {
  readonly keyValueStores: readonly KeyValueStoreGrant[];
  readonly allowHttp: readonly AllowEntry[];
  readonly configValueKeys: readonly string[];
  readonly configKeys: readonly string[];
  readonly servesHttp: boolean;
}

/** Returns notes on what cannot be granted; throws SPIN_GRANT_MISSING for what is not. */
export function checkSpinGrants(needs: SpinComponentNeeds, job: SpinJobGrants, what: string): string[] {
  const missing: string[] = [];
  const notes: string[] = [];
  if (needs.httpRoutes.length === 0 && needs.otherTriggers.length > 0)
    missing.push(
      `the component is triggered by ${needs.otherTriggers.join(', ')}, not http: this driver runs HTTP-triggered Spin components (and wasi:cli commands) only`,
    );
  else if (needs.httpRoutes.length > 0 && !job.servesHttp)
    missing.push(
      `the component serves HTTP (route ${needs.httpRoutes.join(', ')}): set port = "<label>" in the task config`,
    );
  for (const label of needs.keyValueStores) {
    if (!job.keyValueStores.some((store) => store.label === label))
      missing.push(
        `key-value store "${label}": add key_value_store "${label}" { consul_prefix = "<prefix in Consul KV>" }`,
      );
  }
  for (const [name, template] of Object.entries(needs.variables)) {
    if (variableGranted(name, job)) continue;
    missing.push(
      /\{\{/.test(template)
        ? `variable "${name}" (${template} in the manifest): grant it with config_values = { ${name} = "..." }, or a Vault secret key granted in config_keys`
        : `variable "${name}": add config_values = { ${name} = ${JSON.stringify(template)} } (its value in the manifest), or grant a Vault secret key by that name in config_keys`,
    );
  }
  for (const host of needs.allowedOutboundHosts) {
    const checked = checkOutboundHost(host, job.allowHttp);
    if (checked.missing) missing.push(checked.missing);
    if (checked.note) notes.push(checked.note);
  }
  if (missing.length > 0)
    throw new DriverError(
      'SPIN_GRANT_MISSING',
      `the task does not grant what component "${needs.id}" of ${what} asks for: ${missing.join('; ')}`,
    );
  return notes;
}

function variableGranted(name: string, job: SpinJobGrants): boolean {
  return [...job.configValueKeys, ...job.configKeys].some((key) =>
    key.endsWith('.*') ? name.startsWith(`${variableNameOf(key.slice(0, -2))}_`) : variableNameOf(key) === name,
  );
}

const OUTBOUND = /^([a-z*][a-z0-9+.*-]*):\/\/([^/:]+|\[[^\]]+\])(?::([^/]+))?\/?$/i;

/** One allowed_outbound_hosts entry against the job's allow_http. */
function checkOutboundHost(host: string, allowHttp: readonly AllowEntry[]): { missing?: string; note?: string } {
  if (host.includes('{{'))
    return { note: `allowed_outbound_hosts "${host}" is a template: grant its resolved host in allow_http` };
  const match = OUTBOUND.exec(host);
  if (!match) return { note: `allowed_outbound_hosts "${host}" is not scheme://host[:port]; not checked` };
  const [, scheme = '', name = '', portText] = match;
  const schemes = scheme === '*' ? (['http', 'https'] as const) : [scheme.toLowerCase()];
  if (name === 'self' || name === 'self.alt')
    return {
      note: `allowed_outbound_hosts "${host}": calls to other components of the app are not available; reach their Nomad services through allow_services`,
    };
  if (name === '*' || (portText !== undefined && !/^\d+$/.test(portText)))
    return {
      note: `allowed_outbound_hosts "${host}": allow_http names hosts and single ports, so it cannot grant this; list the hosts and ports the component calls`,
    };
  const wildcard = name.startsWith('*.');
  const bare = (wildcard ? name.slice(2) : name).toLowerCase();
  for (const each of schemes) {
    if (each !== 'http' && each !== 'https')
      return {
        note: `allowed_outbound_hosts "${host}": ${each}:// connections are not available on this driver (only HTTP)`,
      };
    const port = portText === undefined ? (each === 'https' ? 443 : 80) : Number(portText);
    const defaultPort = each === 'https' ? 443 : 80;
    const entry: AllowEntry = { host: bare, wildcard, port: port === defaultPort ? undefined : port };
    const allowed = wildcard
      ? allowHttp.some((e) => e.wildcard && e.host === bare && e.port === entry.port) || coveredBy(entry, allowHttp)
      : isAllowed(allowHttp, each, bare.replace(/^\[|\]$/g, ''), port);
    if (!allowed)
      return {
        missing: `outbound host "${host}": add "${wildcard ? '*.' : ''}${bare}${entry.port === undefined ? '' : `:${port}`}" to allow_http`,
      };
  }
  return {};
}
