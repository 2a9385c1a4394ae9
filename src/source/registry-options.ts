// Which credentials and transport settings apply to a registry: a task's own
// `auth {}` wins over the node's `registry {}` block for that host.
import type { RegistryAuth, RegistryConfig } from '../config/registry-config.js';
import type { OciClientOptions } from '../oci/client.js';

export function clientOptionsFor(
  registry: string,
  registries: readonly RegistryConfig[],
  taskAuth: RegistryAuth | undefined,
): OciClientOptions {
  const node = registries.find((r) => r.host === registry);
  const credentials = taskAuth ?? node?.auth;
  return {
    ...(credentials ? { credentials: { ...credentials } } : {}),
    ...(node?.insecure ? { insecureRegistries: [registry] } : {}),
    ...(node?.caCertPem ? { caCertPem: node.caCertPem } : {}),
  };
}
