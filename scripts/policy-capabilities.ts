// Writes policy/capabilities.json: OPA v1.22.4's own capabilities (`opa
// capabilities --current`) narrowed to the builtins a policy can call on
// this driver: those OPA compiles into the Wasm module itself (flagged
// `wasm` in the OPA module's builtin_metadata.json) and those the driver
// provides as host functions (src/policy/host-builtins.ts). Compiling with
// `opa build -t wasm --capabilities policy/capabilities.json` then refuses
// any other builtin at build time, naming it. test/policy/capabilities.test.ts
// fails when the committed file differs from what this writes.
//
//   npm run build && node scripts/policy-capabilities.ts   # rewrite the file
//   node scripts/policy-capabilities.ts --print  # print it instead
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
// The plugin's own list, from its build (npm run build), as the bench scripts do.
const { HOST_BUILTIN_NAMES } = (await import(
  new URL('../dist/policy/host-builtins.js', import.meta.url).href
)) as typeof import('../src/policy/host-builtins.ts');
export const CAPABILITIES_PATH = join(ROOT, 'policy', 'capabilities.json');

interface Capabilities {
  builtins: { name: string }[];
  [key: string]: unknown;
}

/** The builtins OPA's Wasm compiler implements natively, from the module the pinned OPA was built from. */
export function nativeWasmBuiltins(): string[] {
  const module = JSON.parse(
    execFileSync('go', ['mod', 'download', '-json', 'github.com/open-policy-agent/opa'], {
      cwd: join(ROOT, 'test', 'opa'),
      encoding: 'utf8',
      env: { ...process.env, GOTOOLCHAIN: 'local', GOFLAGS: '-mod=mod' },
    }),
  ) as { Dir: string };
  const metadata = JSON.parse(readFileSync(join(module.Dir, 'builtin_metadata.json'), 'utf8')) as Record<
    string,
    { wasm?: boolean }
  >;
  return Object.entries(metadata)
    .filter(([name, info]) => !name.startsWith('_') && info.wasm === true)
    .map(([name]) => name)
    .sort();
}

export function capabilitiesFor(opaBinary: string): string {
  const current = JSON.parse(
    execFileSync(opaBinary, ['capabilities', '--current'], { encoding: 'utf8' }),
  ) as Capabilities;
  const allowed = new Set([...nativeWasmBuiltins(), ...HOST_BUILTIN_NAMES]);
  const narrowed: Capabilities = { ...current, builtins: current.builtins.filter((b) => allowed.has(b.name)) };
  return `${JSON.stringify(narrowed, null, 2)}\n`;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const opa =
    execFileSync('bash', [join(ROOT, 'scripts', 'build-opa.sh')], { encoding: 'utf8' })
      .trim()
      .split('\n')
      .pop() ?? '';
  const text = capabilitiesFor(opa);
  if (process.argv.includes('--print')) process.stdout.write(text);
  else {
    writeFileSync(CAPABILITIES_PATH, text);
    const count = (JSON.parse(text) as Capabilities).builtins.length;
    console.log(`policy/capabilities.json: ${count} builtins (${HOST_BUILTIN_NAMES.length} provided by the driver)`);
  }
}
