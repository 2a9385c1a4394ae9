// The contract between the plugin and a task host process: the launch spec
// the plugin writes to the task host's stdin, and the progress lines the
// task host writes back on fd 3 until the component is ready.
//
// The spec travels over a pipe, never through a file or argv, because the
// granted environment may hold secrets.
import type { Grants } from './grants.js';
import type { KnownServiceSet } from '../services/service-directory.js';
import type { VaultTaskSpec } from '../vault/secret-spec.js';
import type { PrewarmHint } from '../runtime/prewarm.js';
import type { TaskTelemetrySpec } from '../telemetry/identity.js';

export interface LaunchSpec {
  readonly version: 2;
  readonly taskId: string;
  /** Absolute: a checked file of the task dir, or a blob of the node's component cache. */
  readonly componentPath: string;
  /**
   * sha256 of the component's bytes when the plugin already knows it (cache
   * blobs are named by it; verified files were hashed): the task host then
   * finds its compiled form without reading or hashing the file again.
   */
  readonly componentDigest?: string;
  readonly cacheDir: string;
  /** Where the task host records its exit status for a plugin that is not its parent. */
  readonly exitFile: string;
  /**
   * The task's private state dir (mode 0700): the task host's working
   * directory, where it listens on its control socket (control-protocol.ts).
   */
  readonly stateDir: string;
  /** Everything the component may see (env values included: never logged). */
  readonly grants: Grants;
  /** The first known instances of each granted service (`allow_services`); later sets come over the control channel. */
  readonly services?: readonly KnownServiceSet[];
  /** Present for wasi:http services. */
  readonly http?: { readonly host: string; readonly port: number };
  /**
   * Nomad's log FIFOs, for a task host that was started ahead of time as a
   * spare and opens them itself; absent when they are its stdout/stderr.
   */
  readonly logPaths?: { readonly stdout: string; readonly stderr: string };
  /**
   * The task's Vault secrets: where Vault is, where the token is, what to
   * read. Carries the token itself only when Nomad gave it in the env alone.
   */
  readonly vault?: VaultTaskSpec;
  /**
   * Telemetry export settings, the task's Nomad identity and the plugin's
   * start span (a traceparent, never a secret); absent when telemetry is off.
   */
  readonly telemetry?: TaskTelemetrySpec;
}

export type ProgressMessage =
  | { readonly type: 'phase'; readonly phase: 'loading' | 'compiling' | 'cached'; readonly digest?: string }
  | { readonly type: 'ready'; readonly world: 'command' | 'http'; readonly digest: string; readonly port?: number }
  | { readonly type: 'failed'; readonly code: string; readonly message: string };

/** File descriptor of the progress pipe in the task host. */
export const PROGRESS_FD = 3;

/**
 * The argument that tells a spare task host which component to prepare
 * (src/runtime/prewarm.ts): the one of the last start. Paths and a digest
 * only, never grants (argv is visible to every process on the node).
 */
const PREWARM_ARG = '--prewarm=';

/** `digest`: the component's, as the task host reported it ready (a task dir file has none in the spec). */
export function prewarmArgOf(spec: LaunchSpec, digest = spec.componentDigest): string | undefined {
  if (!digest) return undefined;
  const hint: PrewarmHint = {
    cacheDir: spec.cacheDir,
    digest,
    perRequest: spec.http !== undefined && spec.grants.httpInstance === 'per-request',
    ...(spec.grants.memoryMaxMiB === undefined ? {} : { memoryMaxMiB: spec.grants.memoryMaxMiB }),
  };
  return `${PREWARM_ARG}${JSON.stringify(hint)}`;
}

export function parsePrewarmArg(argv: readonly string[]): PrewarmHint | undefined {
  const arg = argv.find((a) => a.startsWith(PREWARM_ARG));
  if (!arg) return undefined;
  try {
    const hint = JSON.parse(arg.slice(PREWARM_ARG.length)) as Partial<PrewarmHint>;
    if (typeof hint.cacheDir !== 'string' || typeof hint.digest !== 'string') return undefined;
    return {
      cacheDir: hint.cacheDir,
      digest: hint.digest,
      perRequest: hint.perRequest === true,
      ...(typeof hint.memoryMaxMiB === 'number' ? { memoryMaxMiB: hint.memoryMaxMiB } : {}),
    };
  } catch {
    return undefined;
  }
}
