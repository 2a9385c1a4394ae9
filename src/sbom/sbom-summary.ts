// The facts a policy needs from an attested SBOM, SPDX 2.x or CycloneDX
// JSON: each package's name, version, purl and licences. SPDX gives
// licences as `licenseConcluded`/`licenseDeclared` expressions (NOASSERTION
// and NONE are no licence); CycloneDX as `licenses[].license.id|name` or
// `licenses[].expression`.
import { dig, isRecord } from '../verify/json-shape.js';

export interface SbomComponent {
  readonly name: string;
  readonly version: string | null;
  readonly purl: string | null;
  readonly licenses: readonly string[];
}

const text = (value: unknown): string | null => (typeof value === 'string' && value !== '' ? value : null);
const NO_LICENCE = new Set(['NOASSERTION', 'NONE']);

export function summarizeSpdx(document: unknown): SbomComponent[] {
  const packages = dig(document, ['packages']);
  if (!Array.isArray(packages)) return [];
  return packages.flatMap((p: unknown): SbomComponent[] => {
    const name = text(dig(p, ['name']));
    if (name === null) return [];
    const refs = dig(p, ['externalRefs']);
    const purl = Array.isArray(refs)
      ? (refs
          .map((r: unknown) => (dig(r, ['referenceType']) === 'purl' ? text(dig(r, ['referenceLocator'])) : null))
          .find((x) => x !== null) ?? null)
      : null;
    const licenses = [dig(p, ['licenseConcluded']), dig(p, ['licenseDeclared'])]
      .map(text)
      .filter((l): l is string => l !== null && !NO_LICENCE.has(l));
    return [{ name, version: text(dig(p, ['versionInfo'])), purl, licenses: [...new Set(licenses)] }];
  });
}

export function summarizeCycloneDx(document: unknown): SbomComponent[] {
  const out: SbomComponent[] = [];
  const visit = (components: unknown): void => {
    if (!Array.isArray(components)) return;
    for (const c of components) {
      const name = text(dig(c, ['name']));
      if (name !== null)
        out.push({
          name,
          version: text(dig(c, ['version'])),
          purl: text(dig(c, ['purl'])),
          licenses: cycloneDxLicences(dig(c, ['licenses'])),
        });
      visit(dig(c, ['components'])); // nested (assemblies)
    }
  };
  const main = dig(document, ['metadata', 'component']);
  if (isRecord(main)) visit([main]);
  visit(dig(document, ['components']));
  return out;
}

function cycloneDxLicences(value: unknown): string[] {
  if (!Array.isArray(value)) return [];
  const found = value.map(
    (l: unknown) =>
      text(dig(l, ['expression'])) ?? text(dig(l, ['license', 'id'])) ?? text(dig(l, ['license', 'name'])),
  );
  return [...new Set(found.filter((l): l is string => l !== null))];
}
