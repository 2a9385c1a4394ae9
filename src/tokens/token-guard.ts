// The one guard that keeps every token Nomad gives a task (Vault, Nomad
// workload identity, Consul) away from its component, whatever the job
// grants. A component reaches Vault secrets through `secret` blocks and
// services through `allow_services`; it has no use for a token, and one in
// its hands would let it act as the task (read every secret its policy
// allows, call Nomad's API) or leak it through its logs or outbound HTTP.
//
// Refused at StartTask, with the field and the reason (GRANT_EXPOSES_TOKEN):
// - `pass_env` of a variable Nomad fills with a token (nomad-tokens.ts);
// - any string the component would see that holds a token: `env` and
//   `pass_env` values (a template { env = true } may have copied one under
//   another name), `args` (and argv[0], from `component`), `config_values`,
//   mount destinations, `allow_http`; Nomad interpolates `${VAULT_TOKEN}` in
//   the task config, so these are compared with the task's token values;
// - a `secret` block whose Vault read answers with the task's own token;
// - a `mount` that shows a token file, or a file holding a token
//   (mount-scan.ts).
import { isAbsolute, join, relative, sep } from 'node:path';
import { DriverError } from '../errors.js';
import type { WasmTaskConfig } from '../config/task-config.js';
import type { Grants } from '../ipc/grants.js';
import { holdsWorkloadIdentity, isTokenVariable, readsCallerToken } from './nomad-tokens.js';
import { scanMount, type MountFinding } from './mount-scan.js';
import { collectTaskTokens, tokenIn, type TaskTokens } from './task-tokens.js';

export interface TokenGuardContext {
  readonly taskDir: string;
  readonly allocDir: string;
  readonly env: Readonly<Record<string, string>>;
  /** A task event: what the guard could not check fully (a very large mount). */
  readonly warn?: (message: string) => void;
}

const NEVER = 'a component is never given a token';

function refused(message: string): DriverError {
  return new DriverError('GRANT_EXPOSES_TOKEN', message);
}

/** Before anything else: `pass_env` of a token variable is refused by its name alone, present or not. */
export function refuseTokenVariables(passEnv: readonly string[]): void {
  const name = passEnv.find(isTokenVariable);
  if (name === undefined) return;
  throw refused(
    `config field "pass_env" names ${name}, a variable Nomad fills with one of the task's tokens; ${NEVER} (Vault secrets reach it through secret blocks, services through allow_services)`,
  );
}

/** Once the grants are decided: every other route to a token. */
export async function refuseTokenGrants(
  config: WasmTaskConfig,
  grants: Grants,
  context: TokenGuardContext,
): Promise<void> {
  refuseTokenVariables(config.passEnv);
  for (const secret of config.configGrants?.secrets ?? []) {
    if (readsCallerToken(secret.path))
      throw refused(
        `config field secret["${secret.name}"].path: Vault answers "${secret.path}" with the task's own Vault token; ${NEVER}`,
      );
  }
  // argv[0] (from `component`) is always among them: the tokens are read at every start.
  const visible = visibleStrings(config, grants);
  const sharedAllocDir = join(context.allocDir, 'alloc');
  const tokens = await collectTaskTokens({
    env: context.env,
    taskDir: context.taskDir,
    allocDir: context.allocDir,
    siblings: grants.mounts.some((mount) => inside(sharedAllocDir, mount.hostPath)),
  });
  for (const { field, text } of visible) {
    const token = tokenIn(text, tokens) ?? (holdsWorkloadIdentity(text) ? 'a Nomad workload identity' : undefined);
    if (token !== undefined)
      throw refused(
        `config field "${field}" holds a token Nomad gave the task (${token}); ${NEVER} (Nomad interpolates \${...} in the task config)`,
      );
  }
  for (const [index, mount] of grants.mounts.entries()) await refuseTokenMount(index, config, mount, tokens, context);
}

/** Each string of the grants the component can read, with the config field it came from. */
function visibleStrings(config: WasmTaskConfig, grants: Grants): Array<{ field: string; text: string }> {
  const strings: Array<{ field: string; text: string }> = [];
  grants.args.forEach((text, i) => strings.push({ field: i === 0 ? 'component' : `args[${i - 1}]`, text }));
  for (const [name, value] of Object.entries(grants.env)) {
    const field = name in config.env ? `env.${name}` : `pass_env (${name})`;
    strings.push({ field, text: name }, { field, text: value });
  }
  for (const [key, value] of Object.entries(grants.config?.values ?? {}))
    strings.push({ field: `config_values.${key}`, text: key }, { field: `config_values.${key}`, text: value });
  grants.mounts.forEach((mount, i) => strings.push({ field: `mount[${i}].destination`, text: mount.guestPath }));
  grants.outboundHttp.forEach((text, i) => strings.push({ field: `allow_http[${i}]`, text }));
  return strings;
}

async function refuseTokenMount(
  index: number,
  config: WasmTaskConfig,
  mount: Grants['mounts'][number],
  tokens: TaskTokens,
  context: TokenGuardContext,
): Promise<void> {
  const what = `config field "mount[${index}]" (source "${config.mounts[index]?.source}", at ${mount.guestPath})`;
  const file = tokens.files.find((path) => inside(mount.hostPath, path));
  if (file !== undefined)
    throw refused(
      `${what} shows ${relative(context.taskDir, file)}, a token file Nomad writes; ${NEVER}: mount a subdirectory that holds no token instead (e.g. render templates into secrets/app/ and mount source = "secrets/app")`,
    );
  const scan = await scanMount(mount.hostPath, tokens);
  if (scan.finding) throw refused(`${what} ${describeFinding(scan.finding)}; ${NEVER}`);
  if (scan.incomplete)
    context.warn?.(
      `The mount at ${mount.guestPath} is too large to check fully for copies of the task's tokens; keep tokens out of it`,
    );
}

function describeFinding(finding: MountFinding): string {
  switch (finding.kind) {
    case 'token-file':
      return `holds ${finding.path}, named like a token file Nomad writes`;
    case 'token-value':
      return `holds ${finding.path}, which contains a token Nomad gave the task (${finding.token}); a template or a copy put it there`;
    case 'workload-identity':
      return `holds ${finding.path}, which contains a Nomad workload identity token`;
  }
}

function inside(root: string, path: string): boolean {
  const rel = relative(root, path);
  return rel === '' || (rel !== '..' && !rel.startsWith(`..${sep}`) && !isAbsolute(rel));
}
