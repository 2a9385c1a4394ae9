// The WASI host a component is instantiated with: preview2-shim's
// implementation, sandboxed per instance and patched where the stock shim
// would let a guest reach the host.
//
// Defaults (deny): no preopened directories, only the granted env and args,
// no sockets, no outbound HTTP, initial cwd unset. Clocks (wall, monotonic)
// and randomness (secure and insecure) are the host's: components need them
// and they reveal nothing a task could not learn by timing itself.
import { WASIShim } from '@bytecodealliance/preview2-shim/instantiation';
import type { Grants } from './grants.js';

export type ImportObject = Record<string, unknown>;

/** Thrown through the guest when it calls wasi:cli/exit; caught by the runner. */
export class GuestExit extends Error {
  readonly code: number;
  constructor(code: number) {
    super(`guest exited with code ${code}`);
    this.name = 'GuestExit';
    this.code = code;
  }
}

/** WASI error values travel to the guest as thrown `{ tag }` objects (jco's convention for result errors). */
interface WasiErrorValue {
  readonly tag: string;
}

export function sandboxedImports(grants: Grants): ImportObject {
  const shim = new WASIShim({
    sandbox: { preopens: {}, env: { ...grants.env }, args: [...grants.args], enableNetwork: false },
  });
  const imports = shim.getImportObject() as ImportObject;

  const environment = imports['wasi:cli/environment'] as Record<string, unknown>;
  imports['wasi:cli/environment'] = {
    ...environment,
    // The host's cwd is none of the guest's business.
    initialCwd: () => undefined,
  };

  // The stock exit calls process.exit(): one guest would end the host.
  imports['wasi:cli/exit'] = {
    exit(status: { tag: 'ok' | 'err' }): never {
      throw new GuestExit(status.tag === 'err' ? 1 : 0);
    },
    exitWithCode(code: number): never {
      throw new GuestExit(code);
    },
  };

  // Outbound HTTP is denied with the proper wasi:http error code, so the
  // guest sees an error value rather than the host crashing.
  imports['wasi:http/outgoing-handler'] = {
    handle(): never {
      const denied: WasiErrorValue = { tag: 'HTTP-request-denied' };
      throw denied;
    },
  };
  return imports;
}

let knownInterfaces: Set<string> | undefined;

/** Whether a transpiled import specifier (e.g. `wasi:cli/environment`) is one we provide. */
export function supportedImport(specifier: string): boolean {
  knownInterfaces ??= new Set(Object.keys(new WASIShim().getImportObject()));
  return knownInterfaces.has(specifier.replace(/@[^/]*$/, ''));
}
