// One bash process that runs README blocks one after another, the way a
// reader pastes them into one terminal: exports and `cd` carry over from
// block to block. Each block is sourced with `set -eo pipefail`, so the
// first failing command ends the session and the step reports its output.
// Commands get /dev/null as stdin (a prompt fails instead of hanging).
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface StepResult {
  readonly output: string;
  readonly seconds: number;
}

const DONE = '__readme_walk_step_done__';

export class ShellSession {
  private readonly bash: ChildProcessWithoutNullStreams;
  private readonly scratch: string;
  private output = '';
  private exited: number | null = null;
  private listener: (() => void) | undefined;
  /** A step was sent and its end not seen (still running, or timed out). */
  private stepRunning = false;
  private steps = 0;

  /** `scratch`: where the step files are written. */
  constructor(scratch: string, cwd: string, env: NodeJS.ProcessEnv) {
    this.scratch = scratch;
    // Its own process group, so that close() can end what a hung step started.
    this.bash = spawn('bash', ['--noprofile', '--norc'], { cwd, env, stdio: ['pipe', 'pipe', 'pipe'], detached: true });
    const collect = (chunk: Buffer): void => {
      this.output += chunk.toString();
      this.listener?.();
    };
    this.bash.stdout.on('data', collect);
    this.bash.stderr.on('data', collect);
    // 'close', not 'exit': the output is complete then.
    this.bash.on('close', (code, signal) => {
      this.exited = code ?? (signal ? 128 : 1);
      this.listener?.();
    });
    // One stream, in order: what a terminal shows.
    this.bash.stdin.write('exec 2>&1\nset -eo pipefail\n');
  }

  /** Runs `script` as the next step; rejects with its output when a command fails or it times out. */
  run(name: string, script: string, timeoutMs: number): Promise<StepResult> {
    const file = join(this.scratch, `step-${++this.steps}.sh`);
    writeFileSync(file, `${script}\n`);
    const start = Date.now();
    const from = this.output.length;
    const marker = `${DONE} ${this.steps}`;
    return new Promise((resolve, reject) => {
      const finish = (error?: string): void => {
        clearTimeout(timer);
        this.listener = undefined;
        const output = this.output.slice(from).replace(`${marker}\n`, '');
        if (error) reject(new Error(`README step "${name}" ${error}:\n${script}\n--- output ---\n${output}`));
        else resolve({ output, seconds: (Date.now() - start) / 1000 });
      };
      const timer = setTimeout(() => finish(`did not finish within ${timeoutMs / 1000} s`), timeoutMs);
      this.listener = () => {
        if (this.output.includes(`${marker}\n`, from)) {
          this.stepRunning = false;
          finish();
        } else if (this.exited !== null) finish(`failed (the shell exited with ${this.exited})`);
      };
      if (this.exited !== null) return finish('cannot run: an earlier step ended the shell');
      this.stepRunning = true;
      this.bash.stdin.write(`source ${file} </dev/null; echo "${marker}"\n`);
    });
  }

  /** The value of a shell variable as the steps left it. */
  async variable(name: string): Promise<string> {
    const { output } = await this.run(`(read ${name})`, `printf '%s\\n' "\${${name}:-}"`, 30_000);
    return output.trim();
  }

  /** Ends the session; a step still running is ended with its process group (ours). */
  close(): void {
    if (this.exited !== null) return;
    this.bash.stdin.end();
    const pid = this.bash.pid;
    if (this.stepRunning && pid !== undefined) {
      try {
        process.kill(-pid, 'SIGTERM');
      } catch {
        // already gone
      }
    }
  }
}
