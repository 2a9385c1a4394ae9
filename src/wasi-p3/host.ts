// The WASI 0.3 host a component instance is given, beside the 0.2 host
// (src/wasi/host.ts), built for one task's grants in exactly the 0.2 way:
// the same grants object, the same mounts, environment, outbound policy
// and config source. Deny by default: no mount, no env, no outbound
// authority and no socket unless the grants list them.
//
// Every entry is keyed `<interface>@0.3` (versions.ts says why). A 0.3
// component gets both hosts: the toolchains' language runtimes still import
// 0.2 interfaces (componentize-py's Python, wasi-libc's preview1 adapter).
import type { HostGrants, ImportObject } from '../wasi/host.js';
import { cliP3Interfaces } from './cli.js';
import { clockP3Interfaces } from './clocks.js';
import { filesystemP3Interfaces } from './filesystem.js';
import { httpClient } from './http-client.js';
import { httpP3Types } from './http-types.js';
import { randomP3Interfaces } from './random.js';
import { socketP3Interfaces } from './sockets.js';
import { isP3Version, p3Key, SERVED_P3_VERSIONS, splitVersion } from './versions.js';

export function wasiP3Host(grants: HostGrants): ImportObject {
  return {
    ...cliP3Interfaces(grants),
    ...clockP3Interfaces,
    ...randomP3Interfaces,
    ...filesystemP3Interfaces(grants.mounts),
    ...socketP3Interfaces,
    [p3Key('wasi:http/types')]: httpP3Types,
    [p3Key('wasi:http/client')]: httpClient(grants.outbound),
  };
}

/** The WASI 0.3 interfaces (without version) this host provides to guests. */
export const P3_PROVIDED_INTERFACES: ReadonlySet<string> = new Set(
  Object.keys(
    wasiP3Host({
      args: [],
      env: {},
      stdout: () => undefined,
      stderr: () => undefined,
      mounts: [],
      outbound: { allow: [] },
    }),
  ).map((key) => key.slice(0, -'@0.3'.length)),
);

/**
 * What this host says about a component's import: undefined when it is not
 * a WASI 0.3 interface at all (the 0.2 host decides), else whether it is served.
 */
export function p3ImportSupport(name: string): 'served' | 'not-hosted' | 'unserved-version' | undefined {
  const [iface, version] = splitVersion(name);
  if (version === undefined || !iface.startsWith('wasi:') || !isP3Version(version)) return undefined;
  if (!SERVED_P3_VERSIONS.includes(version)) return 'unserved-version';
  return P3_PROVIDED_INTERFACES.has(iface) ? 'served' : 'not-hosted';
}
