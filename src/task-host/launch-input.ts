// The launch spec as the task host takes it from its stdin (the plugin
// wrote it there, src/task/launcher.ts). Two things hold secrets in it:
// env values the job granted, and, with Vault's `disable_file`, the task's
// Vault token. So a malformed spec is reported with a fixed message, never
// with the parser's excerpt of the text; and the token is moved out of the
// spec at once into its one holder (vault/token-source.ts), which drops it
// when it is no longer needed.
import { DriverError } from '../errors.js';
import type { LaunchSpec } from '../ipc/launch-spec.js';
import { tokenSource, type DroppableTokenSource } from '../vault/token-source.js';

export interface LaunchInput {
  readonly spec: LaunchSpec;
  /** The task's Vault token source, for a task with secrets; the spec no longer carries an env token. */
  readonly vaultToken: DroppableTokenSource | undefined;
}

export function readLaunchSpec(input: string): LaunchInput {
  let parsed: LaunchSpec;
  try {
    parsed = JSON.parse(input) as LaunchSpec;
  } catch {
    throw new DriverError(
      'TASK_HOST_FAILED',
      `the launch spec from the plugin is not valid JSON (${input.length} characters): is the task host of another driver version?`,
    );
  }
  if (!parsed.vault) return { spec: parsed, vaultToken: undefined };
  const vaultToken = tokenSource(parsed.vault.token);
  const { file } = parsed.vault.token;
  const spec: LaunchSpec = { ...parsed, vault: { ...parsed.vault, token: file === undefined ? {} : { file } } };
  return { spec, vaultToken };
}
