// The WASI 0.2 host a component instance is given: every interface this
// driver provides, built for one task's grants. Deny by default: no mount,
// no env, no outbound authority and no socket unless the grants list it.
import { cliInterfaces, type CliOptions } from './cli.js';
import { clockInterfaces } from './clocks.js';
import { filesystemInterfaces, type Mount } from './filesystem.js';
import { outgoingHandler, type OutboundPolicy } from './http-outgoing.js';
import { httpTypes } from './http-types.js';
import { ioInterfaces } from './io.js';
import { randomInterfaces } from './random.js';
import { socketInterfaces } from './sockets.js';

export interface HostGrants extends CliOptions {
  readonly mounts: readonly Mount[];
  readonly outbound: OutboundPolicy;
}

/** Import object keyed like jco's glue asks (`wasi:cli/environment`, no version). */
export type ImportObject = Record<string, object>;

export function wasiHost(grants: HostGrants): ImportObject {
  return {
    ...ioInterfaces,
    ...cliInterfaces(grants),
    ...clockInterfaces,
    ...randomInterfaces,
    ...filesystemInterfaces(grants.mounts),
    ...socketInterfaces,
    'wasi:http/types': httpTypes,
    'wasi:http/outgoing-handler': outgoingHandler(grants.outbound),
  };
}

/** The interfaces (without version) this host provides. */
export const PROVIDED_INTERFACES: ReadonlySet<string> = new Set([
  ...Object.keys(wasiHost({ args: [], env: {}, stdout: () => undefined, stderr: () => undefined, mounts: [], outbound: { allow: [] } })),
  'wasi:http/incoming-handler',
]);
