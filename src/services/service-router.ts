// Adapts the task host's ServiceDirectory to the WASI host's outbound
// routing (src/wasi/service-routing.ts): a request host such as
// `payments.service.consul` maps to the granted service, whose next
// instance comes from memory. Why a request found no instance goes to the
// task's stderr, at most once per service and reason every 30 s.
import type { ServiceRoute, ServiceRouter } from '../wasi/service-routing.js';
import type { ServiceDirectory } from './service-directory.js';
import { serviceHost, serviceOfHost } from './service-ref.js';

const NOTICE_EVERY_MS = 30_000;

export function directoryRouter(directory: ServiceDirectory, notice: (message: string) => void): ServiceRouter {
  const lastNotice = new Map<string, number>();
  const tell = (key: string, message: string): void => {
    const now = Date.now();
    if ((lastNotice.get(key) ?? 0) + NOTICE_EVERY_MS > now) return;
    lastNotice.set(key, now);
    notice(message);
  };
  return {
    route(host: string): ServiceRoute | undefined {
      const asked = serviceOfHost(host);
      const ref = asked && directory.find(asked);
      if (!ref) return undefined;
      const name = serviceHost(ref);
      return {
        next(tried) {
          const pick = directory.pick(ref, tried);
          switch (pick.kind) {
            case 'instance':
              return pick.instance;
            case 'unknown':
              tell(
                `${name} unknown`,
                `outbound HTTP to ${name}: no instances known yet (the ${ref.provider === 'consul' ? 'Consul' : 'Nomad'} catalog has not answered the plugin); the request fails with destination-unavailable`,
              );
              return { unavailable: `no instances of ${name} known yet` };
            case 'none-healthy':
              tell(
                `${name} empty`,
                `outbound HTTP to ${name}: the catalog lists no healthy instance; the request fails with destination-unavailable`,
              );
              return { unavailable: `no healthy instance of ${name}` };
            case 'all-tried':
              return { unavailable: `every instance of ${name} was tried` };
          }
        },
        failed(instance) {
          directory.failed(instance);
        },
      };
    },
  };
}
