// A policy as the operator ships it: the bundle `opa build -t wasm -e <query>`
// writes (bundle.tar.gz: /policy.wasm, /data.json, /.manifest), or a bare
// policy.wasm. Loaded once when the plugin is configured, so a broken file,
// a missing entrypoint or a builtin the driver lacks stops the agent with a
// message, not the first task that meets it.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { DriverError } from '../errors.js';
import { isRecord } from '../verify/json-shape.js';
import { readDecision, type PolicyVerdict } from './decision.js';
import { HOST_BUILTINS } from './host-builtins.js';
import { OpaWasmPolicy } from './opa-wasm-module.js';
import { tarFiles } from './tar-entries.js';

export interface LoadedPolicy {
  /** Where it was loaded from (the config's `bundle`). */
  readonly source: string;
  /** sha256 of the file, for the decision log. */
  readonly digest: string;
  /** The bundle manifest's `revision`, if it has one. */
  readonly revision: string | null;
  /** The entrypoint evaluated, `pkg/rule` or `pkg` (dots also accepted). */
  readonly query: string;
  evaluate(input: unknown): PolicyVerdict;
}

const WASM_MAGIC = Buffer.from([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00]);

export function loadPolicyFile(path: string, query: string): LoadedPolicy {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (err) {
    throw new DriverError('POLICY_INVALID', `cannot read policy ${path}: ${(err as Error).message}`, { cause: err });
  }
  return loadPolicy(bytes, path, query);
}

export function loadPolicy(bytes: Buffer, source: string, query: string): LoadedPolicy {
  const { wasm, data, revision } = unpack(bytes, source);
  let module: WebAssembly.Module;
  try {
    module = new WebAssembly.Module(new Uint8Array(wasm));
  } catch (err) {
    throw new DriverError('POLICY_INVALID', `${source}: policy.wasm does not compile: ${(err as Error).message}`, {
      cause: err,
    });
  }
  const policy = OpaWasmPolicy.load(module, HOST_BUILTINS, `policy ${source}`);
  const entrypoint = query.replaceAll('.', '/');
  if (!policy.entrypoints.includes(entrypoint))
    throw new DriverError(
      'POLICY_INVALID',
      `policy ${source} has no entrypoint ${entrypoint} (it has ${policy.entrypoints.join(', ') || 'none'}); build it with opa build -t wasm -e ${entrypoint}`,
    );
  policy.setData(data);
  return {
    source,
    digest: `sha256:${createHash('sha256').update(bytes).digest('hex')}`,
    revision,
    query: entrypoint,
    evaluate: (input) => readDecision(policy.evaluate(entrypoint, input), entrypoint),
  };
}

function unpack(bytes: Buffer, source: string): { wasm: Buffer; data: unknown; revision: string | null } {
  if (bytes.subarray(0, 8).equals(WASM_MAGIC)) return { wasm: bytes, data: {}, revision: null };
  let files: Map<string, Buffer>;
  try {
    files = tarFiles(bytes);
  } catch (err) {
    throw new DriverError(
      'POLICY_INVALID',
      `${source} is neither a Wasm module nor an OPA bundle (tar.gz): ${(err as Error).message}`,
      { cause: err },
    );
  }
  const manifest = parseJson(files.get('.manifest'), `${source}: .manifest`) ?? {};
  const modules = isRecord(manifest) && Array.isArray(manifest['wasm']) ? (manifest['wasm'] as unknown[]) : [];
  const named = modules
    .map((m) => (isRecord(m) && typeof m['module'] === 'string' ? m['module'].replace(/^\//, '') : undefined))
    .filter((m): m is string => m !== undefined);
  if (named.length > 1)
    throw new DriverError(
      'POLICY_INVALID',
      `${source} holds ${named.length} Wasm modules; build one policy per bundle`,
    );
  const wasm = files.get(named[0] ?? 'policy.wasm');
  if (wasm === undefined)
    throw new DriverError(
      'POLICY_INVALID',
      `${source} has no policy.wasm: build it with opa build -t wasm (a bundle of Rego files alone cannot run here)`,
    );
  const revision = isRecord(manifest) && typeof manifest['revision'] === 'string' ? manifest['revision'] : null;
  return { wasm, data: parseJson(files.get('data.json'), `${source}: data.json`) ?? {}, revision: revision || null };
}

function parseJson(bytes: Buffer | undefined, what: string): unknown {
  if (bytes === undefined) return undefined;
  try {
    return JSON.parse(bytes.toString('utf8')) as unknown;
  } catch (err) {
    throw new DriverError('POLICY_INVALID', `${what} is not JSON: ${(err as Error).message}`, { cause: err });
  }
}
