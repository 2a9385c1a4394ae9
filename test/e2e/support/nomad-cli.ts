// `nomad job run` and friends, as a user types them, against the e2e agent.
import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { nomadBinary, type NomadAgent } from './nomad-agent.ts';

const run = promisify(execFile);

export async function nomadCli(
  agent: NomadAgent,
  args: string[],
): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(nomadBinary(), args, {
      env: { ...process.env, NOMAD_ADDR: agent.api.address },
      cwd: agent.dir,
    });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const failed = err as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

/** Writes the job file next to the agent's config and submits it with `nomad job run -detach`. */
export async function nomadJobRun(agent: NomadAgent, name: string, hcl: string): Promise<void> {
  const file = join(agent.dir, `${name}.nomad.hcl`);
  await writeFile(file, hcl);
  const result = await nomadCli(agent, ['job', 'run', '-detach', file]);
  if (result.code !== 0)
    throw new Error(`nomad job run ${name} failed (${result.code}):\n${result.stdout}${result.stderr}`);
}
