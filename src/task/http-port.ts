// Finds the address a wasi:http service listens on from the port label in
// its config and the ports Nomad allocated to the group.
import { DriverError } from '../errors.js';
import type { TaskConfig__Output } from '../generated/hashicorp/nomad/plugins/drivers/proto/TaskConfig.js';

export interface ListenAddress {
  readonly host: string;
  readonly port: number;
}

export function listenAddressFor(label: string, task: TaskConfig__Output): ListenAddress {
  const mapping = task.resources?.ports.find((p) => p.label === label);
  const envPort = task.env[`NOMAD_PORT_${label}`];
  // Host networking: the service binds the host port Nomad reserved (`to` only matters in bridge mode).
  const port = mapping ? mapping.value : envPort !== undefined ? Number(envPort) : NaN;
  if (!Number.isInteger(port) || port <= 0) {
    const known = task.resources?.ports.map((p) => p.label).join(', ') || 'none';
    throw new DriverError(
      'TASK_CONFIG_INVALID',
      `invalid task config: config field "port": no port labelled "${label}" in the group's network block (allocated labels: ${known})`,
    );
  }
  const host = mapping?.host_ip || task.env[`NOMAD_IP_${label}`] || '0.0.0.0';
  return { host, port };
}
