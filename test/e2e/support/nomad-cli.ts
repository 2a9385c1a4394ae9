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

/**
 * The "Recent Events" rows of `nomad alloc status <alloc>` as the CLI prints
 * them (columns Time, Type, Description), for asserting what a user reads.
 */
export async function allocStatusEvents(
  agent: NomadAgent,
  allocId: string,
): Promise<{ readonly type: string; readonly description: string; readonly line: string }[]> {
  const result = await nomadCli(agent, ['alloc', 'status', allocId]);
  if (result.code !== 0) throw new Error(`nomad alloc status failed (${result.code}):\n${result.stderr}`);
  const section = result.stdout.split('Recent Events:\n')[1] ?? '';
  const [header, ...rows] = section.split('\n').filter((line) => line.trim() !== '');
  const typeAt = header?.indexOf('Type') ?? -1;
  const descriptionAt = header?.indexOf('Description') ?? -1;
  if (typeAt < 0 || descriptionAt < 0) throw new Error(`no event table in:\n${result.stdout}`);
  return rows.map((line) => ({
    type: line.slice(typeAt, descriptionAt).trim(),
    description: line.slice(descriptionAt).trim(),
    line,
  }));
}
