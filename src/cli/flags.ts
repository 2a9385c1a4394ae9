// Typed access to the CLI's parsed flags, shared by the commands.
import type { RegistryAuth } from '../config/registry-config.js';
import type { RegistryFlags } from './fetch-ref.js';

export interface CliFlags {
  readonly checksum?: string | undefined;
  readonly json: boolean;
  readonly key: readonly string[];
  readonly 'trusted-root'?: string | undefined;
  readonly 'sign-key'?: string | undefined;
  readonly identity: readonly string[];
  readonly insecure: boolean;
  readonly username?: string | undefined;
  readonly format?: string | undefined;
  readonly output?: string | undefined;
  readonly address?: string | undefined;
  readonly 'ca-cert'?: string | undefined;
  readonly namespace?: string | undefined;
  readonly mapping?: string | undefined;
  readonly html?: string | undefined;
}

/** The password never goes on the command line, where `ps` would show it. */
export function registryFlags(flags: CliFlags): RegistryFlags {
  const auth: RegistryAuth | undefined =
    flags.username === undefined
      ? undefined
      : { username: flags.username, password: process.env.NOMAD_WASM_REGISTRY_PASSWORD ?? '' };
  return { insecure: flags.insecure, auth };
}

/** Prints a usage problem; the caller returns exit code 2. */
export function usage(message: string): number {
  process.stderr.write(`${message} (see nomad-wasm --help)\n`);
  return 2;
}
