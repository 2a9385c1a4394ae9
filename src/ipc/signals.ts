// Signal names as Nomad sends them ("SIGINT", "SIGHUP") → numbers.
import { constants } from 'node:os';
import { DriverError } from '../errors.js';

const SIGNALS = constants.signals as Readonly<Record<string, number>>;

export function signalNumber(name: string): number {
  const normalised = name.trim().toUpperCase();
  const key = normalised.startsWith('SIG') ? normalised : `SIG${normalised}`;
  const value = SIGNALS[key];
  if (value === undefined) throw new DriverError('SIGNAL_UNKNOWN', `unknown signal "${name}"`);
  return value;
}
