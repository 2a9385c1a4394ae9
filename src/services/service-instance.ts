// One healthy instance of a service, as the catalog lists it.

export interface ServiceInstance {
  /** IPv4/IPv6 address (no brackets) or a host name the node resolves. */
  readonly address: string;
  readonly port: number;
}

export function instanceKey(instance: ServiceInstance): string {
  return instance.address.includes(':')
    ? `[${instance.address}]:${instance.port}`
    : `${instance.address}:${instance.port}`;
}

/** Sorted and without duplicates, so that equal sets compare equal. */
export function normalizeInstances(instances: readonly ServiceInstance[]): ServiceInstance[] {
  const byKey = new Map(instances.map((instance) => [instanceKey(instance), instance]));
  return [...byKey.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, instance]) => instance);
}

export function sameInstances(a: readonly ServiceInstance[], b: readonly ServiceInstance[]): boolean {
  return (
    a.length === b.length && a.every((instance, i) => instanceKey(instance) === instanceKey(b[i] as ServiceInstance))
  );
}
