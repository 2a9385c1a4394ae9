// Where the plugin looks services up for `allow_services`: the client
// agent's `consul { ... }` and `nomad { ... }` blocks inside
// `plugin "wasm" { config { ... } }`. Tokens stay in the plugin process:
// never in a task host, a log line, the driver state or a task event.
import { attr, object, singleBlock, type Spec } from '../hclspec/spec.js';
import type { ConfigReader } from './config-reader.js';
import { readPem } from './registry-config.js';
import { withoutUserinfo } from './address-text.js';

export interface CatalogEndpoint {
  /** Base URL without a trailing slash: `http://127.0.0.1:8500`. */
  readonly url: string;
  /** ACL token (least privilege: Consul `service:read` + `node:read`, Nomad `read-job`). */
  readonly token: string | undefined;
  /** Extra CA (PEM) trusted for an https:// address. */
  readonly caCertPem: string | undefined;
}

export interface ConsulEndpoint extends CatalogEndpoint {
  /** Consul Enterprise namespace and admin partition (empty: the token's default). */
  readonly namespace: string | undefined;
  readonly partition: string | undefined;
}

export interface ServicesConfig {
  readonly consul: ConsulEndpoint;
  readonly nomad: CatalogEndpoint;
}

/** Nomad's own defaults: a Consul agent and a Nomad agent on the node itself. */
export const DEFAULT_SERVICES_CONFIG: ServicesConfig = {
  consul: {
    url: 'http://127.0.0.1:8500',
    token: undefined,
    caCertPem: undefined,
    namespace: undefined,
    partition: undefined,
  },
  nomad: { url: 'http://127.0.0.1:4646', token: undefined, caCertPem: undefined },
};

const endpointFields = {
  address: attr('address', 'string'),
  token: attr('token', 'string'),
  ca_cert: attr('ca_cert', 'string'),
};

export const servicesConfigSpec: Record<string, Spec> = {
  consul: singleBlock(
    'consul',
    object({ ...endpointFields, namespace: attr('namespace', 'string'), partition: attr('partition', 'string') }),
  ),
  nomad: singleBlock('nomad', object(endpointFields)),
};

export function decodeServicesConfig(
  consul: ConfigReader | undefined,
  nomad: ConfigReader | undefined,
): ServicesConfig {
  const consulEndpoint = consul
    ? endpoint(consul, 'consul', DEFAULT_SERVICES_CONFIG.consul.url)
    : DEFAULT_SERVICES_CONFIG.consul;
  return {
    consul: {
      ...consulEndpoint,
      namespace: consul?.optionalString('namespace') || undefined,
      partition: consul?.optionalString('partition') || undefined,
    },
    nomad: nomad ? endpoint(nomad, 'nomad', DEFAULT_SERVICES_CONFIG.nomad.url) : DEFAULT_SERVICES_CONFIG.nomad,
  };
}

/** `host:port` (as in Nomad's own consul block) or a full `http(s)://host:port` URL. */
function endpoint(block: ConfigReader, field: string, fallback: string): CatalogEndpoint {
  const address = block.optionalString('address') || fallback;
  const withScheme = /^[a-z]+:\/\//i.test(address) ? address : `http://${address}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    throw new Error(
      `config field "${field}.address": "${withoutUserinfo(address)}" is not host:port or an http(s):// URL`,
    );
  }
  if (
    (url.protocol !== 'http:' && url.protocol !== 'https:') ||
    (url.pathname !== '/' && url.pathname !== '') ||
    url.search ||
    url.username ||
    url.password
  ) {
    throw new Error(
      `config field "${field}.address": "${withoutUserinfo(address)}" must be host:port or http(s)://host:port, without a path or credentials`,
    );
  }
  const caPath = block.optionalString('ca_cert') || undefined;
  if (caPath !== undefined && url.protocol !== 'https:')
    throw new Error(`config field "${field}.ca_cert": only used with an https:// address`);
  return {
    url: url.origin,
    token: block.optionalString('token') || undefined,
    caCertPem: caPath === undefined ? undefined : readPem(caPath, `${field}.ca_cert`),
  };
}
