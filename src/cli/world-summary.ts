// What a component asks of its host, read from its own WIT world: the
// interfaces it imports map to the grants a job would have to give it. A
// WASI preview1 core module is described through the component the driver
// would make of it (runtime/preview1-adapter.ts).
import { DriverError } from '../errors.js';
import { checkComponentHeader } from '../runtime/component-file.js';
import { importSupported, worldRelease, type WasiVersion } from '../runtime/component-world.js';
import { adaptPreview1Command, checkPreview1Command } from '../runtime/preview1-adapter.js';

export interface WorldSummary {
  readonly world: 'wasi:cli/run command' | 'wasi:http service' | 'unsupported';
  /** The WASI release of the export the driver would call (0.3: its async ABI). */
  readonly wasi: WasiVersion | undefined;
  readonly imports: readonly string[];
  readonly exports: readonly string[];
  /** Imports this driver cannot provide: the task would fail to start. */
  readonly unsupportedImports: readonly string[];
  readonly capabilities: readonly string[];
  /**
   * Task config fields that grant what the component's imports and exports
   * use (machine-readable, for tools such as the Terraform provider): `env`,
   * `mount`, `allow_http` and `allow_services` (outbound HTTP to hosts, or
   * to services by name), `config_values` and `config_keys` (wasi:config/store:
   * plain values, Vault secret keys), `port`.
   */
  readonly grants: readonly string[];
  /** Set for a WASI preview1 core module: how it runs, and the preview1 functions it imports. */
  readonly preview1?: { readonly description: string; readonly functions: readonly string[] };
}

export const PREVIEW1_DESCRIPTION = 'WASI preview1 module: runs as a command through the preview1 adapter';

/** Import prefix → the task config fields that grant it. */
const GRANT_FIELDS: readonly [string, readonly string[]][] = [
  ['wasi:cli/environment', ['env']],
  ['wasi:filesystem/', ['mount']],
  ['wasi:http/outgoing-handler', ['allow_http', 'allow_services']],
  ['wasi:http/client', ['allow_http', 'allow_services']],
  ['wasi:config/store', ['config_values', 'config_keys']],
  ['fermyon:spin/variables', ['config_values', 'config_keys']],
  ['spin:variables/', ['config_values', 'config_keys']],
  ['fermyon:spin/key-value', ['key_value_store']],
  ['spin:key-value/', ['key_value_store']],
  ['wasi:keyvalue/', ['key_value_store']],
];

/** Spin interfaces present on this driver whose calls answer "not available". */
const UNAVAILABLE: readonly [string, string][] = [
  ['fermyon:spin/llm', 'Spin LLM inferencing'],
  ['fermyon:spin/redis', 'outbound Redis'],
  ['spin:redis/', 'outbound Redis'],
  ['fermyon:spin/mqtt', 'outbound MQTT'],
  ['spin:mqtt/', 'outbound MQTT'],
  ['fermyon:spin/postgres', 'outbound PostgreSQL'],
  ['spin:postgres/', 'outbound PostgreSQL'],
  ['fermyon:spin/mysql', 'outbound MySQL'],
  ['spin:mysql/', 'outbound MySQL'],
  ['fermyon:spin/sqlite', 'SQLite'],
  ['spin:sqlite/', 'SQLite'],
];

/** Import prefix → what a job must grant for it to be of any use. */
const CAPABILITIES: readonly [string, string][] = [
  ['wasi:filesystem/', 'files: only directories granted with `mount` blocks'],
  ['wasi:cli/environment', 'environment: only variables granted with `env` / `pass_env`'],
  [
    'wasi:http/outgoing-handler',
    'outbound HTTP: only hosts granted with `allow_http`, and services named in `allow_services`',
  ],
  [
    'wasi:http/client',
    'outbound HTTP (WASI 0.3): only hosts granted with `allow_http`, and services named in `allow_services`',
  ],
  [
    'wasi:config/store',
    'config values: only `config_values`, and the keys of Vault `secret` blocks granted with `config_keys`',
  ],
  [
    'fermyon:spin/variables',
    'Spin variables: only `config_values`, and the keys of Vault `secret` blocks granted with `config_keys`',
  ],
  [
    'spin:variables/',
    'Spin variables: only `config_values`, and the keys of Vault `secret` blocks granted with `config_keys`',
  ],
  ['fermyon:spin/key-value', 'key-value stores: only the labels granted with `key_value_store` blocks (Consul KV)'],
  ['spin:key-value/', 'key-value stores: only the labels granted with `key_value_store` blocks (Consul KV)'],
  ['wasi:keyvalue/', 'key-value stores: only the labels granted with `key_value_store` blocks (Consul KV)'],
  ['wasi:sockets/', 'sockets: always denied by this driver'],
  ['wasi:random/', 'randomness: always available'],
  ['wasi:clocks/', 'clocks: always available'],
];

export async function summarizeWorld(bytes: Uint8Array, what: string): Promise<WorldSummary> {
  if (checkComponentHeader(bytes, what) === 'core-module') {
    const { functions } = checkPreview1Command(bytes, what);
    const { component } = await adaptPreview1Command(bytes, what);
    return { ...(await summarizeWorld(component, what)), preview1: { description: PREVIEW1_DESCRIPTION, functions } };
  }
  const { componentWit } = await import('@bytecodealliance/jco');
  let wit: string;
  try {
    wit = await componentWit(bytes);
  } catch (err) {
    throw new DriverError('COMPONENT_INVALID', `cannot read the component's world: ${(err as Error).message}`, {
      cause: err,
    });
  }
  return summarizeWit(wit);
}

export function summarizeWit(wit: string): WorldSummary {
  const imports = itemsOf(wit, 'import');
  const exports = itemsOf(wit, 'export');
  const world = exports.some((e) => e.startsWith('wasi:http/incoming-handler@') || e.startsWith('wasi:http/handler@'))
    ? 'wasi:http service'
    : exports.some((e) => e.startsWith('wasi:cli/run@'))
      ? 'wasi:cli/run command'
      : 'unsupported';
  const capabilities = [
    ...new Set(CAPABILITIES.filter(([prefix]) => imports.some((i) => i.startsWith(prefix))).map(([, text]) => text)),
    ...[
      ...new Set(UNAVAILABLE.filter(([prefix]) => imports.some((i) => i.startsWith(prefix))).map(([, what]) => what)),
    ].map((what) => `${what}: not available on this driver (the component starts; those calls answer an error)`),
  ];
  const grants = [
    ...new Set(
      GRANT_FIELDS.filter(([prefix]) => imports.some((i) => i.startsWith(prefix))).flatMap(([, fields]) => fields),
    ),
  ];
  if (world === 'wasi:http service') grants.push('port');
  const wasi = worldRelease(exports);
  return {
    world: world !== 'unsupported' && wasi === undefined ? 'unsupported' : world,
    wasi,
    imports,
    exports,
    unsupportedImports: imports.filter((i) => !importSupported(i)),
    capabilities,
    grants,
  };
}

/**
 * `import wasi:io/poll@0.2.12;` lines of the root world (one per line as
 * componentWit prints them); inline items (`import name: func(...)`) by name.
 */
function itemsOf(wit: string, keyword: 'import' | 'export'): string[] {
  const pattern = new RegExp(`^\\s*${keyword}\\s+([^\\s;{]+?)\\s*(?:;|:\\s)`, 'gm');
  return [...wit.matchAll(pattern)].map((m) => m[1] ?? '').filter((name) => name !== '');
}
