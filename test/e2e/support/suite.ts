// Per-file setup: one agent and one component server, torn down afterwards.
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { NomadAgent, REPO_ROOT, type NomadAgentOptions } from './nomad-agent.ts';
import { serveDirectory, type StaticServer } from './static-server.ts';

export interface E2eContext {
  agent: NomadAgent;
  components: StaticServer;
}

export async function startE2e(options: NomadAgentOptions = {}): Promise<E2eContext> {
  const components = await serveDirectory(process.env['WASM_TEST_COMPONENTS'] ?? join(REPO_ROOT, '.cache/components'));
  const agent = await NomadAgent.start(options);
  return { agent, components };
}

export async function stopE2e(context: E2eContext | undefined): Promise<void> {
  if (!context) return;
  await context.agent.destroy();
  await context.components.close();
}

/** Registers the per-file agent; the returned function gives the running context. */
export function useE2e(options: () => Promise<NomadAgentOptions> | NomadAgentOptions = () => ({})): () => E2eContext {
  let context: E2eContext | undefined;
  beforeAll(async () => {
    context = await startE2e(await options());
  }, 180_000);
  afterAll(async () => stopE2e(context), 60_000);
  return () => {
    if (!context) throw new Error('e2e context used before beforeAll ran');
    return context;
  };
}
