// `nomad-wasm`: the operator's tool beside the plugin.
//   inspect <ref>        world, imports, exports, capabilities and digest
//   verify <ref>         check signatures against a policy given as flags
//   push <file> <ref>    publish a component as a Wasm OCI artifact (--sign-key: and sign it)
//   sbom <ref>           CycloneDX or SPDX SBOM from what the component carries
//   evidence             audit evidence of a cluster's Wasm tasks (JSON, HTML)
// <ref> is a file, oci://registry/repo:tag|@sha256:…, or https://… with --checksum.
import { parseArgs, type ParseArgsOptionsConfig } from 'node:util';
import { describeError, isDriverError } from '../errors.js';
import { inspectCommand } from './inspect.js';
import { pushCommand } from './push.js';
import { sbomCommand } from './sbom.js';
import { evidenceCommand } from './evidence.js';
import { verifyCommand } from './verify.js';

const USAGE = `usage:
  nomad-wasm inspect <ref> [--checksum sha256:…] [--json] [registry flags]
  nomad-wasm verify <ref> [--key cosign.pub]... [--trusted-root trusted_root.json]
                          [--identity <issuer>=<subject-pattern>]... [--checksum sha256:…] [--json] [registry flags]
  nomad-wasm push <file.wasm> <oci://registry/repo:tag> [--sign-key key.pem] [registry flags]
  nomad-wasm sbom <ref> [--format cyclonedx|spdx] [--output file] [--checksum sha256:…] [registry flags]
  nomad-wasm evidence [--address http://nomad:4646] [--ca-cert ca.pem] [--namespace ns] [--mapping controls.csv]
                      [--output evidence.json] [--html evidence.html]   (token from $NOMAD_TOKEN)

<ref>: a .wasm file, oci://registry/repo:tag, oci://registry/repo@sha256:…, or https://… (with --checksum)
registry flags: --insecure (plain http) --username <user> (password from $NOMAD_WASM_REGISTRY_PASSWORD)
--sign-key: an ECDSA P-256 PEM private key (passphrase from $NOMAD_WASM_SIGNING_KEY_PASSWORD); push prints
            the pinned reference oci://registry/repo@<manifest digest> on stdout
`;

const CLI_OPTIONS = {
  checksum: { type: 'string' },
  json: { type: 'boolean', default: false },
  key: { type: 'string', multiple: true, default: [] as string[] },
  'trusted-root': { type: 'string' },
  'sign-key': { type: 'string' },
  identity: { type: 'string', multiple: true, default: [] as string[] },
  insecure: { type: 'boolean', default: false },
  username: { type: 'string' },
  format: { type: 'string' },
  output: { type: 'string', short: 'o' },
  address: { type: 'string' },
  'ca-cert': { type: 'string' },
  namespace: { type: 'string' },
  mapping: { type: 'string' },
  html: { type: 'string' },
  help: { type: 'boolean', short: 'h', default: false },
} satisfies ParseArgsOptionsConfig;

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args: argv, options: CLI_OPTIONS, allowPositionals: true });
  const [command, ...rest] = positionals;
  if (values.help || command === undefined) {
    process.stdout.write(USAGE);
    return values.help ? 0 : 2;
  }
  switch (command) {
    case 'inspect':
      return inspectCommand(rest, values);
    case 'verify':
      return verifyCommand(rest, values);
    case 'push':
      return pushCommand(rest, values);
    case 'sbom':
      return sbomCommand(rest, values);
    case 'evidence':
      return evidenceCommand(rest, values);
    default:
      process.stderr.write(`unknown command "${command}"\n${USAGE}`);
      return 2;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    const code = isDriverError(err) ? ` [${err.code}]` : '';
    process.stderr.write(`error${code}: ${describeError(err)}\n`);
    process.exitCode = 1;
  },
);
