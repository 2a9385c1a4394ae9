// `nomad-wasm evidence`: audit evidence of every running Wasm task of a
// cluster, from the Nomad API (address from --address or $NOMAD_ADDR, token
// from $NOMAD_TOKEN, never argv, CA from --ca-cert or $NOMAD_CACERT), mapped
// to control families by policy/control-mapping.csv (or --mapping). JSON on
// stdout, or into --output, and/or --html (one self-contained page).
import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { collectEvidence } from '../evidence/collect-evidence.js';
import { DEFAULT_MAPPING, readControlMapping } from '../evidence/control-mapping.js';
import { evidenceHtml } from '../evidence/evidence-html.js';
import { NomadApi } from '../nomad-api/nomad-api.js';
import { usage, type CliFlags } from './flags.js';

export async function evidenceCommand(args: readonly string[], flags: CliFlags): Promise<number> {
  if (args.length > 0) return usage('evidence takes no positional arguments');
  const address = flags.address ?? process.env['NOMAD_ADDR'] ?? 'http://127.0.0.1:4646';
  const caPath = flags['ca-cert'] ?? process.env['NOMAD_CACERT'];
  const api = new NomadApi({
    url: address.replace(/\/+$/, ''),
    token: process.env['NOMAD_TOKEN'] || undefined,
    caCertPem: caPath ? readFileSync(caPath, 'utf8') : undefined,
  });
  try {
    const mapping = readControlMapping(flags.mapping ?? DEFAULT_MAPPING);
    const evidence = await collectEvidence(api, mapping, flags.namespace ?? '*');
    const json = `${JSON.stringify(evidence, null, 2)}\n`;
    if (flags.output === undefined && flags.html === undefined) process.stdout.write(json);
    if (flags.output !== undefined) await writeFile(flags.output, json);
    if (flags.html !== undefined) await writeFile(flags.html, evidenceHtml(evidence));
    process.stderr.write(`evidence of ${evidence.tasks.length} running Wasm task(s) from ${address}\n`);
    return 0;
  } finally {
    api.close();
  }
}
