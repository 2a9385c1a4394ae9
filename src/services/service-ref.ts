// Which service a grant or a request names, and how.
//
// A component reaches a granted service at a host name of its own:
//   http://payments.service.consul/...   Consul service "payments"
//   http://billing.service.nomad/...     Nomad service "billing" (provider = "nomad"),
//                                        in the task's own Nomad namespace
// The grant (`allow_services` in the task config) lists the services:
// "payments" (a Consul service), "payments.service.consul" (the same),
// or "billing.service.nomad". The port always comes from the catalog.

export type ServiceProvider = 'consul' | 'nomad';

export interface ServiceRef {
  readonly provider: ServiceProvider;
  /** The registered service name, lower case. */
  readonly name: string;
}

/** Consul and Nomad both accept DNS labels as service names (RFC 1123). */
const LABEL = '[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?';
const GRANT = new RegExp(`^(${LABEL})(?:\\.service\\.(consul|nomad))?$`);
const HOST = new RegExp(`^(${LABEL})\\.service\\.(consul|nomad)$`);

/** Parses one `allow_services` entry; returns an error message for a malformed one. */
export function parseServiceGrant(text: string): ServiceRef | string {
  const match = GRANT.exec(text.trim().toLowerCase());
  if (!match) {
    return `"${text}" is not a service name: use "name" or "name.service.consul" for a Consul service, "name.service.nomad" for a Nomad one (letters, digits, dashes)`;
  }
  return { provider: (match[2] as ServiceProvider | undefined) ?? 'consul', name: match[1] as string };
}

/** The service a request host names, or undefined when it is not a service host at all. */
export function serviceOfHost(host: string): ServiceRef | undefined {
  const match = HOST.exec(host.toLowerCase());
  return match ? { provider: match[2] as ServiceProvider, name: match[1] as string } : undefined;
}

/** Whether a host is in one of the service domains (granted or not). */
export function isServiceDomain(host: string): boolean {
  const name = host.toLowerCase();
  return name.endsWith('.service.consul') || name.endsWith('.service.nomad');
}

/** `payments.service.consul`: how the component addresses it, and how it is logged. */
export function serviceHost(ref: ServiceRef): string {
  return `${ref.name}.service.${ref.provider}`;
}

export function sameService(a: ServiceRef, b: ServiceRef): boolean {
  return a.provider === b.provider && a.name === b.name;
}
