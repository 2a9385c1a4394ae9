// Spin host interfaces this driver does not back (yet): present, so a
// component built with a Spin SDK (which imports all of them) starts, and
// answering a call with an error that says so, so only that call fails.
// Nothing here opens a connection or touches a file.
import { guestError } from './guest-error.js';

/** What the guest reads in the error of any call below. */
export function notAvailable(what: string): string {
  return `${what} is not available on the Nomad wasm driver (nomad-driver-wasm); see its README, "Spin apps"`;
}

/**
 * A resource whose ways in answer the error `make(message)`: `open` (sync
 * in Spin 3's interfaces, async in Spin 4's spin:*@3.0.0), `openAsync`
 * (spin:sqlite@3.1.0, spin:postgres@4.2.0) and, for spin:postgres@4.1.0 and
 * later, a `connection-builder` whose `build` and `build-async` do the same.
 * jco asks for an interface without its version, so one object serves all.
 */
function refusingConnection(what: string, make: (message: string) => unknown, open: 'sync' | 'async'): object {
  const refuse = (): never => {
    throw guestError(make(notAvailable(what)));
  };
  const refuseAsync = (): Promise<never> => Promise.resolve().then(refuse);
  return {
    Connection: class Connection {
      static open = open === 'sync' ? refuse : refuseAsync;
      static openAsync = refuseAsync;
    },
    ConnectionBuilder: class ConnectionBuilder {
      setCaRoot(): void {
        // Accepted: build() is where the connection is refused.
      }
      build(): never {
        return refuse();
      }
      buildAsync(): Promise<never> {
        return refuseAsync();
      }
    },
  };
}

const other = (message: string): unknown => ({ tag: 'other', val: message });
const sqliteIo = (message: string): unknown => ({ tag: 'io', val: message });

export function unavailableInterfaces(): Record<string, object> {
  const llm = (): never => {
    throw guestError({ tag: 'runtime-error', val: notAvailable('Spin LLM inferencing (fermyon:spin/llm)') });
  };
  return {
    'fermyon:spin/llm': { infer: llm, generateEmbeddings: llm },
    'fermyon:spin/redis': refusingConnection('Outbound Redis (fermyon:spin/redis)', other, 'sync'),
    'fermyon:spin/mqtt': refusingConnection('Outbound MQTT (fermyon:spin/mqtt)', other, 'sync'),
    'fermyon:spin/postgres': refusingConnection('Outbound PostgreSQL (fermyon:spin/postgres)', other, 'sync'),
    'fermyon:spin/mysql': refusingConnection('Outbound MySQL (fermyon:spin/mysql)', other, 'sync'),
    'fermyon:spin/sqlite': refusingConnection('SQLite (fermyon:spin/sqlite)', sqliteIo, 'sync'),
    // jco asks for these without their version: one object serves spin:postgres@3.0.0 to @4.2.0
    // (open-async since 4.2.0), one spin:sqlite@3.0.0 and @3.1.0 (open-async since 3.1.0).
    'spin:postgres/postgres': refusingConnection('Outbound PostgreSQL (spin:postgres/postgres)', other, 'sync'),
    'spin:sqlite/sqlite': refusingConnection('SQLite (spin:sqlite/sqlite)', sqliteIo, 'sync'),
    // Spin 4's (spin-sdk 5, WASI 0.3): `open` is async.
    'spin:redis/redis': refusingConnection('Outbound Redis (spin:redis/redis)', other, 'async'),
    'spin:mqtt/mqtt': refusingConnection('Outbound MQTT (spin:mqtt/mqtt)', other, 'async'),
    'spin:mysql/mysql': refusingConnection('Outbound MySQL (spin:mysql/mysql)', other, 'async'),
    // Types only: nothing to call.
    'fermyon:spin/rdbms-types': {},
  };
}
