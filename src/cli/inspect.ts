// `nomad-wasm inspect <ref>`: what a component is and what it would ask for.
import { readFile } from 'node:fs/promises';
import { formatOciReference } from '../oci/reference.js';
import { attachedEvidence } from '../source/attached-evidence.js';
import { formatMiB } from '../source/progress.js';
import { fetchRef } from './fetch-ref.js';
import { registryFlags, usage, type CliFlags } from './flags.js';
import { summarizeWorld } from './world-summary.js';

export async function inspectCommand(args: readonly string[], flags: CliFlags): Promise<number> {
  const [ref] = args;
  if (ref === undefined || args.length > 1) return usage('inspect takes exactly one <ref>');
  const fetched = await fetchRef(ref, flags.checksum, registryFlags(flags));
  try {
    const { component } = fetched;
    const bytes = await readFile(component.path);
    const evidence = attachedEvidence(component, fetched.baseDir, fetched.field);
    const digest = await evidence.digest();
    const summary = await summarizeWorld(bytes, component.origin);
    const signatures = await evidence.signatures();
    const report = {
      reference: component.origin,
      digest,
      ...(component.kind === 'oci' ? { manifestDigest: component.manifestDigest } : {}),
      sizeBytes: bytes.length,
      ...summary,
      signatures: signatures.map((s) => ({ kind: s.kind, origin: s.origin })),
    };
    if (flags.json) {
      process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
      return 0;
    }
    const lines = [
      `reference     ${report.reference}`,
      `digest        ${digest}`,
      ...(component.kind === 'oci'
        ? [
            `manifest      ${component.manifestDigest}`,
            `pin as        ${formatOciReference({ ...component.reference, tag: undefined, digest: component.manifestDigest })}`,
          ]
        : []),
      `size          ${formatMiB(bytes.length)} (${bytes.length} bytes)`,
      ...(summary.preview1
        ? [
            `kind          ${summary.preview1.description}`,
            `preview1      ${summary.preview1.functions.length} functions imported: ${summary.preview1.functions.join(', ')}`,
          ]
        : []),
      `world         ${summary.world}${summary.wasi ? ` (WASI ${summary.wasi})` : ''}`,
      `exports       ${summary.exports.join(', ') || '(none)'}`,
      `imports (${summary.imports.length})`,
      ...summary.imports.map(
        (name) =>
          `  ${name}${summary.unsupportedImports.includes(name) ? '   <- not provided by this driver: the task would fail' : ''}`,
      ),
      'capabilities it would ask for',
      ...(summary.capabilities.length > 0 ? summary.capabilities.map((c) => `  ${c}`) : ['  (none beyond stdio)']),
      `signatures    ${signatures.length === 0 ? 'none found' : signatures.map((s) => `${s.kind} at ${s.origin}`).join('; ')}`,
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
    return summary.world === 'unsupported' || summary.unsupportedImports.length > 0 ? 1 : 0;
  } finally {
    await fetched.cleanup();
  }
}
