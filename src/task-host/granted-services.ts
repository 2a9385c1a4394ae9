// The task host's side of `allow_services`: the sets the plugin sent with
// the launch spec, replaced by every set it pushes over the control
// channel, routed to from the component's outbound HTTP. Installed before
// the component is instantiated.
import { notice } from '../runtime/task-output.js';
import { useServiceRouter } from '../runtime/guest-service-router.js';
import { ServiceDirectory, type KnownServiceSet } from '../services/service-directory.js';
import { isServiceInstancesMessage, type ServiceInstancesMessage } from '../services/service-messages.js';
import { directoryRouter } from '../services/service-router.js';
import type { ServiceRef } from '../services/service-ref.js';

/** The part of the control server this needs. */
export interface ServiceInstancesSource {
  on(type: 'service-instances', handler: (message: ServiceInstancesMessage) => void): void;
}

export function useGrantedServices(
  grants: readonly ServiceRef[] | undefined,
  initial: readonly KnownServiceSet[] | undefined,
  source: ServiceInstancesSource,
): ServiceDirectory | undefined {
  if (!grants || grants.length === 0) return undefined;
  const directory = new ServiceDirectory(grants, initial ?? []);
  useServiceRouter(directoryRouter(directory, notice));
  source.on('service-instances', (message) => {
    if (isServiceInstancesMessage(message)) directory.update(message.service, message.instances);
  });
  return directory;
}
