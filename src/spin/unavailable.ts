// Spin host interfaces this driver does not back (yet): present, so a
// component built with a Spin SDK (which imports all of them) starts, and
// answering a call with an error that says so, so only that call fails.
// Nothing here opens a connection or touches a file.
import { guestError } from './guest-error.js';

/** What the guest reads in the error of any call below. */
export function notAvailable(what: string): string {
  return `${what} is not available on the Nomad wasm driver (nomad-driver-wasm); see its README, "Spin apps"`;
}

/** A resource whose only way in, `open`, answers the error `make(message)`. */
function refusingConnection(what: string, make: (message: string) => unknown): object {
  return {
    Connection: class Connection {
      static open(): never {
        throw guestError(make(notAvailable(what)));
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
    'fermyon:spin/redis': refusingConnection('Outbound Redis (fermyon:spin/redis)', other),
    'fermyon:spin/mqtt': refusingConnection('Outbound MQTT (fermyon:spin/mqtt)', other),
    'fermyon:spin/postgres': refusingConnection('Outbound PostgreSQL (fermyon:spin/postgres)', other),
    'fermyon:spin/mysql': refusingConnection('Outbound MySQL (fermyon:spin/mysql)', other),
    'fermyon:spin/sqlite': refusingConnection('SQLite (fermyon:spin/sqlite)', sqliteIo),
    // jco asks for these without their version: one object serves spin:postgres@3.0.0 and @4.0.0.
    'spin:postgres/postgres': refusingConnection('Outbound PostgreSQL (spin:postgres/postgres)', other),
    'spin:sqlite/sqlite': refusingConnection('SQLite (spin:sqlite/sqlite)', sqliteIo),
    // Types only: nothing to call.
    'fermyon:spin/rdbms-types': {},
  };
}
