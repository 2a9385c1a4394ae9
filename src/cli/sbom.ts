// `nomad-wasm sbom <ref>`: a CycloneDX 1.6 (default) or SPDX 2.3 JSON SBOM
// of a component, from what the component itself carries (producers,
// nested components and modules, wasm-metadata fields, cargo-auditable's
// `.dep-v0`), on stdout or into --output: ready for
//   cosign attest --type cyclonedx --predicate sbom.cdx.json <image>
import { readFile, writeFile } from 'node:fs/promises';
import { inventoryOf } from '../sbom/component-inventory.js';
import { cycloneDxOf } from '../sbom/cyclonedx-writer.js';
import { spdxOf } from '../sbom/spdx-writer.js';
import { fetchRef } from './fetch-ref.js';
import { registryFlags, usage, type CliFlags } from './flags.js';

export async function sbomCommand(args: readonly string[], flags: CliFlags): Promise<number> {
  const [ref] = args;
  if (ref === undefined || args.length > 1) return usage('sbom takes exactly one <ref>');
  const format = flags.format ?? 'cyclonedx';
  if (format !== 'cyclonedx' && format !== 'spdx') return usage(`--format must be cyclonedx or spdx, got "${format}"`);
  const fetched = await fetchRef(ref, flags.checksum, registryFlags(flags));
  try {
    const inventory = inventoryOf(await readFile(fetched.component.path), fetched.component.origin);
    const document = format === 'cyclonedx' ? cycloneDxOf(inventory, new Date()) : spdxOf(inventory, new Date());
    const text = `${JSON.stringify(document, null, 2)}\n`;
    if (flags.output === undefined) process.stdout.write(text);
    else {
      await writeFile(flags.output, text);
      process.stderr.write(
        `wrote ${format === 'cyclonedx' ? 'CycloneDX 1.6' : 'SPDX 2.3'} SBOM of ${fetched.component.origin} (sha256:${inventory.sha256}, ${inventory.units.length} nested units, ${inventory.dependencies.length} packages) to ${flags.output}\n`,
      );
    }
    return 0;
  } finally {
    await fetched.cleanup();
  }
}
