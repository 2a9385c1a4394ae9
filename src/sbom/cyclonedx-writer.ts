// A CycloneDX 1.6 JSON SBOM of a component, from what it carries
// (component-inventory.ts): the component itself (hash, licences, source,
// world), each nested component and core module with the toolchains that
// produced it, and each package cargo-auditable recorded. Ready for
// `cosign attest --type cyclonedx --predicate <file>`.
import { createHash } from 'node:crypto';
import { PRODUCT_NAME, PRODUCT_VERSION } from './product.js';
import { purlOf, unitLabel, type ComponentInventory } from './component-inventory.js';

interface Property {
  readonly name: string;
  readonly value: string;
}

export function cycloneDxOf(inventory: ComponentInventory, created: Date): Record<string, unknown> {
  const rootRef = `component-${inventory.sha256.slice(0, 12)}`;
  const unitRef = (index: number): string => `unit-${index}`;
  const depRef = (i: number): string => `package-${i}`;
  const units = inventory.units.map((unit) => ({
    type: 'library',
    'bom-ref': unitRef(unit.index),
    name: unitLabel(unit),
    properties: [
      { name: 'wasm:kind', value: unit.kind === 'module' ? 'core-module' : 'component' },
      ...unit.producers.map((p) => ({
        name: `wasm:producer:${p.field}`,
        value: p.version ? `${p.name} ${p.version}` : p.name,
      })),
      ...(unit.fields.licenses ? [{ name: 'wasm:licenses', value: unit.fields.licenses }] : []),
    ],
  }));
  const packages = inventory.dependencies.map((dep, i) => {
    const purl = purlOf(dep);
    return {
      type: 'library',
      'bom-ref': depRef(i),
      name: dep.name,
      version: dep.version,
      ...(purl ? { purl } : {}),
      // A build dependency is not in the binary.
      scope: dep.kind === 'build' ? 'excluded' : 'required',
      properties: [{ name: 'cargo-auditable:source', value: dep.source }],
    };
  });
  const rootProperties: Property[] = [
    { name: 'wasm:world', value: inventory.world.world },
    ...inventory.world.imports.map((i) => ({ name: 'wasm:import', value: i })),
    ...inventory.world.exports.map((e) => ({ name: 'wasm:export', value: e })),
    ...(inventory.revision ? [{ name: 'wasm:revision', value: inventory.revision }] : []),
  ];
  return {
    bomFormat: 'CycloneDX',
    specVersion: '1.6',
    // The same bytes give the same serial number: one BOM per component digest.
    serialNumber: `urn:uuid:${uuidFrom(inventory.sha256)}`,
    version: 1,
    metadata: {
      timestamp: created.toISOString(),
      tools: { components: [{ type: 'application', name: PRODUCT_NAME, version: PRODUCT_VERSION }] },
      component: {
        type: 'application',
        'bom-ref': rootRef,
        name: inventory.name,
        ...(inventory.version ? { version: inventory.version } : {}),
        ...(inventory.description ? { description: inventory.description } : {}),
        ...(inventory.authors ? { authors: [{ name: inventory.authors }] } : {}),
        hashes: [{ alg: 'SHA-256', content: inventory.sha256 }],
        ...(inventory.licenses ? { licenses: [{ expression: inventory.licenses }] } : {}),
        externalReferences: [
          ...(inventory.source ? [{ type: 'vcs', url: inventory.source }] : []),
          ...(inventory.homepage ? [{ type: 'website', url: inventory.homepage }] : []),
          ...(/^(oci|https):\/\//.test(inventory.reference)
            ? [{ type: 'distribution', url: inventory.reference }]
            : []),
        ],
        properties: rootProperties,
      },
    },
    components: [...units, ...packages],
    dependencies: [
      {
        ref: rootRef,
        dependsOn: [...inventory.units.map((u) => unitRef(u.index)), ...packages.map((p) => p['bom-ref'])],
      },
      ...units.map((u) => ({ ref: u['bom-ref'], dependsOn: [] })),
      ...packages.map((p) => ({ ref: p['bom-ref'], dependsOn: [] })),
    ],
  };
}

/** A version-4-shaped UUID derived from the digest. */
export function uuidFrom(sha256Hex: string): string {
  const h = createHash('sha256').update(`cyclonedx:${sha256Hex}`).digest('hex');
  const variant = ((parseInt(h[16] ?? '0', 16) & 0x3) | 0x8).toString(16);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-${variant}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}
