// What the plugin's service watches tell a task host over its control
// channel (src/ipc/control-protocol.ts lists it among the PluginMessages):
// the current healthy set of one granted service. Addresses only, never a token.
import type { ServiceInstance } from './service-instance.js';
import type { ServiceRef } from './service-ref.js';

export interface ServiceInstancesMessage {
  readonly type: 'service-instances';
  readonly service: ServiceRef;
  readonly instances: readonly ServiceInstance[];
}

/** Checks a message that came over the socket before the directory trusts it. */
export function isServiceInstancesMessage(value: { readonly type: string }): value is ServiceInstancesMessage {
  const message = value as Partial<ServiceInstancesMessage>;
  return (
    message.type === 'service-instances' &&
    typeof message.service?.name === 'string' &&
    (message.service.provider === 'consul' || message.service.provider === 'nomad') &&
    Array.isArray(message.instances) &&
    message.instances.every(
      (instance: Partial<ServiceInstance> | undefined) =>
        typeof instance?.address === 'string' && Number.isInteger(instance?.port),
    )
  );
}
