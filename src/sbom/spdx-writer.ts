// An SPDX 2.3 JSON document of a component, from what it carries
// (component-inventory.ts): the component as the described package (its
// checksum, declared licence, source), the nested components and core
// modules it CONTAINS, and the packages cargo-auditable recorded that it
// DEPENDS_ON. Ready for `cosign attest --type spdxjson --predicate <file>`.
import { PRODUCT_NAME, PRODUCT_VERSION } from './product.js';
import { purlOf, unitLabel, type ComponentInventory } from './component-inventory.js';

const NOASSERTION = 'NOASSERTION';

export function spdxOf(inventory: ComponentInventory, created: Date): Record<string, unknown> {
  const root = 'SPDXRef-Component';
  const unitId = (index: number): string => `SPDXRef-Unit-${index}`;
  const depId = (i: number): string => `SPDXRef-Package-${i}`;
  const units = inventory.units.map((unit) => ({
    SPDXID: unitId(unit.index),
    name: unitLabel(unit),
    downloadLocation: NOASSERTION,
    filesAnalyzed: false,
    licenseConcluded: NOASSERTION,
    licenseDeclared: unit.fields.licenses ?? NOASSERTION,
    copyrightText: NOASSERTION,
    primaryPackagePurpose: 'LIBRARY',
    ...(unit.producers.length > 0
      ? {
          comment: `WebAssembly ${unit.kind === 'module' ? 'core module' : 'component'}; producers: ${unit.producers.map((p) => `${p.field} ${p.name}${p.version ? ` ${p.version}` : ''}`).join(', ')}`,
        }
      : { comment: `WebAssembly ${unit.kind === 'module' ? 'core module' : 'component'}` }),
  }));
  const packages = inventory.dependencies.map((dep, i) => {
    const purl = purlOf(dep);
    return {
      SPDXID: depId(i),
      name: dep.name,
      versionInfo: dep.version,
      downloadLocation: NOASSERTION,
      filesAnalyzed: false,
      licenseConcluded: NOASSERTION,
      licenseDeclared: NOASSERTION,
      copyrightText: NOASSERTION,
      ...(purl
        ? { externalRefs: [{ referenceCategory: 'PACKAGE-MANAGER', referenceType: 'purl', referenceLocator: purl }] }
        : {}),
      comment: `recorded by cargo-auditable (.dep-v0), source ${dep.source}, ${dep.kind} dependency`,
    };
  });
  return {
    spdxVersion: 'SPDX-2.3',
    dataLicense: 'CC0-1.0',
    SPDXID: 'SPDXRef-DOCUMENT',
    name: `${inventory.name}${inventory.version ? `-${inventory.version}` : ''}`,
    // Unique per component digest, as SPDX asks of a document namespace.
    documentNamespace: `https://nomad-driver-wasm.invalid/spdx/sha256-${inventory.sha256}`,
    creationInfo: {
      created: created.toISOString().replace(/\.\d{3}Z$/, 'Z'),
      creators: [`Tool: ${PRODUCT_NAME}-${PRODUCT_VERSION}`],
    },
    packages: [
      {
        SPDXID: root,
        name: inventory.name,
        ...(inventory.version ? { versionInfo: inventory.version } : {}),
        downloadLocation: inventory.source ?? NOASSERTION,
        ...(inventory.homepage ? { homepage: inventory.homepage } : {}),
        filesAnalyzed: false,
        checksums: [{ algorithm: 'SHA256', checksumValue: inventory.sha256 }],
        licenseConcluded: NOASSERTION,
        licenseDeclared: inventory.licenses ?? NOASSERTION,
        copyrightText: NOASSERTION,
        ...(inventory.description ? { description: inventory.description } : {}),
        ...(inventory.authors ? { originator: `Person: ${inventory.authors}` } : {}),
        primaryPackagePurpose: 'APPLICATION',
        comment: `WebAssembly component (${inventory.world.world}); imports ${inventory.world.imports.join(', ') || 'none'}`,
      },
      ...units,
      ...packages,
    ],
    relationships: [
      { spdxElementId: 'SPDXRef-DOCUMENT', relationshipType: 'DESCRIBES', relatedSpdxElement: root },
      ...units.map((u) => ({ spdxElementId: root, relationshipType: 'CONTAINS', relatedSpdxElement: u.SPDXID })),
      ...packages.map((p) => ({ spdxElementId: root, relationshipType: 'DEPENDS_ON', relatedSpdxElement: p.SPDXID })),
    ],
  };
}
