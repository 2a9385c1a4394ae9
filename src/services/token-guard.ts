// A task's own Consul token is never shown to its component. Nomad hands a
// task one in some setups: Connect native tasks get CONSUL_HTTP_TOKEN in
// their env and secrets/si_token (Nomad 1.6), and Consul workload identities
// give CONSUL_TOKEN and secrets/consul_token (Nomad 1.7+). The component
// reaches services through `allow_services`, resolved with the plugin's own
// read-only token: it has no use for a Consul token of its own.
import { access } from 'node:fs/promises';
import { join } from 'node:path';
import { DriverError } from '../errors.js';

const TOKEN_VARIABLES = ['CONSUL_HTTP_TOKEN', 'CONSUL_TOKEN'];
const TOKEN_FILES = ['consul_token', 'si_token'];

/** Refuses `pass_env` entries that would hand the component a Consul token. */
export function refuseConsulTokens(passEnv: readonly string[]): void {
  const name = passEnv.find((entry) => TOKEN_VARIABLES.includes(entry));
  if (name === undefined) return;
  throw new DriverError(
    'TASK_CONFIG_INVALID',
    `invalid task config: config field "pass_env" names ${name}, the task's Consul token, which a component is never given; reach services with allow_services instead`,
  );
}

/** Refuses a mount that shows the task's secrets/ directory while Nomad put a Consul token there. */
export async function refuseConsulTokenMounts(
  mounts: readonly { readonly hostPath: string; readonly guestPath: string }[],
  secretsDir: string,
): Promise<void> {
  for (const mount of mounts) {
    if (mount.hostPath !== secretsDir) continue;
    for (const file of TOKEN_FILES) {
      const present = await access(join(secretsDir, file)).then(
        () => true,
        () => false,
      );
      if (present) {
        throw new DriverError(
          'TASK_CONFIG_INVALID',
          `invalid task config: the mount at ${mount.guestPath} shows secrets/, which holds the task's Consul token (secrets/${file}); mount a subdirectory of secrets/ instead`,
        );
      }
    }
  }
}
