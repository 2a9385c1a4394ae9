// The WASI 0.2 host a component instance is given: every interface this
// driver provides, built for one task's grants. Deny by default: no mount,
// no env, no outbound authority and no socket unless the grants list it.
import { cliInterfaces, type CliOptions } from './cli.js';
import { clockInterfaces } from './clocks.js';
import { configStoreInterfaces, EMPTY_CONFIG, SERVED_CONFIG_VERSIONS, type ConfigSource } from './config-store.js';
import { filesystemInterfaces, type Mount } from './filesystem.js';
import { outgoingHandler, type OutboundPolicy } from './http-outgoing.js';
import { httpTypes } from './http-types.js';
import { ioInterfaces } from './io.js';
import { randomInterfaces } from './random.js';
import { socketInterfaces } from './sockets.js';
import { otelInterfaces, SERVED_OTEL_VERSIONS } from './otel.js';
import { NO_GUEST_SPANS, type GuestSpanSink } from '../telemetry/hooks.js';

export interface HostGrants extends CliOptions {
  readonly mounts: readonly Mount[];
  readonly outbound: OutboundPolicy;
  /** wasi:config/store; empty when the job grants no config key. */
  readonly config?: ConfigSource;
  /** Told of guest paths that would leave their mount (telemetry). */
  readonly onFilesystemEscape?: (path: string) => void;
  /** wasi:otel: where a guest's spans go; nowhere when telemetry is off. */
  readonly guestSpans?: GuestSpanSink;
}

/** Import object keyed like jco's glue asks (`wasi:cli/environment`, no version). */
export type ImportObject = Record<string, object>;

export function wasiHost(grants: HostGrants): ImportObject {
  return {
    ...ioInterfaces,
    ...cliInterfaces(grants),
    ...clockInterfaces,
    ...randomInterfaces,
    ...filesystemInterfaces(grants.mounts, grants.onFilesystemEscape),
    ...socketInterfaces,
    'wasi:http/types': httpTypes,
    'wasi:http/outgoing-handler': outgoingHandler(grants.outbound),
    ...configStoreInterfaces(grants.config ?? EMPTY_CONFIG),
    ...otelInterfaces(grants.guestSpans ?? NO_GUEST_SPANS),
  };
}

/** The interfaces (without version) this host provides. */
export const PROVIDED_INTERFACES: ReadonlySet<string> = new Set([
  ...Object.keys(
    wasiHost({
      args: [],
      env: {},
      stdout: () => undefined,
      stderr: () => undefined,
      mounts: [],
      outbound: { allow: [] },
    }),
  ),
  'wasi:http/incoming-handler',
]);

/** Versions of an interface this host serves, where it matters (one shape across them). */
const SERVED_VERSIONS: ReadonlyMap<string, readonly string[]> = new Map([
  ['wasi:config/store', SERVED_CONFIG_VERSIONS],
  ['wasi:otel/types', SERVED_OTEL_VERSIONS],
  ['wasi:otel/tracing', SERVED_OTEL_VERSIONS],
  ['wasi:otel/metrics', SERVED_OTEL_VERSIONS],
  ['wasi:otel/logs', SERVED_OTEL_VERSIONS],
]);

/** Whether a component's import (`wasi:config/store@0.2.0-draft`) can be satisfied. */
export function providesImport(name: string): boolean {
  const at = name.lastIndexOf('@');
  const iface = at > name.lastIndexOf('/') ? name.slice(0, at) : name;
  if (!PROVIDED_INTERFACES.has(iface)) return false;
  const versions = SERVED_VERSIONS.get(iface);
  return versions === undefined || at < 0 || versions.includes(name.slice(at + 1));
}
