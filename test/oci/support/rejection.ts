// Awaits a promise that must fail with a DriverError and returns that error.
import { DriverError } from '../../../src/errors.js';

export async function rejection(promise: Promise<unknown>): Promise<DriverError> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof DriverError) return err;
    throw err;
  }
  throw new Error('expected a rejection');
}
