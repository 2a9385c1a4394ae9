// Which catalog answers for which provider, from the plugin config.
import type { ServicesConfig } from '../config/services-config.js';
import type { ServiceCatalog } from './catalog.js';
import { ConsulCatalog } from './consul-catalog.js';
import { NomadCatalog } from './nomad-catalog.js';
import type { ServiceProvider } from './service-ref.js';

export function catalogFactory(config: () => ServicesConfig): (provider: ServiceProvider) => ServiceCatalog {
  return (provider) => (provider === 'consul' ? new ConsulCatalog(config().consul) : new NomadCatalog(config().nomad));
}
