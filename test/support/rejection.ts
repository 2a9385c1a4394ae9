// Awaiting a promise that must fail, so tests can assert on code and message
// (a resolve is a test failure).
import { DriverError } from '../../src/errors.js';

/** The Error the promise rejected with. */
export async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof Error) return err;
    throw new Error(`rejected with a non-Error: ${String(err)}`, { cause: err });
  }
  throw new Error('expected a rejection, but the promise resolved');
}

/** The DriverError the promise rejected with; any other rejection fails the test. */
export async function driverRejection(promise: Promise<unknown>): Promise<DriverError> {
  const err = await rejection(promise);
  if (err instanceof DriverError) return err;
  throw err;
}
