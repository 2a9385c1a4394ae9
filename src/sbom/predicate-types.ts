// The in-toto predicate types the driver reads from attestations; cosign
// attest's `--type` names map to them (slsaprovenance1, spdxjson, cyclonedx).
// Attestations of other types (vuln, openvex, custom) are verified and
// listed by type, never read.
export const SLSA_PROVENANCE_TYPES: readonly string[] = [
  'https://slsa.dev/provenance/v1',
  'https://slsa.dev/provenance/v0.2',
];

export const SPDX_TYPES: readonly string[] = [
  'https://spdx.dev/Document',
  'https://spdx.dev/Document/v2.3',
  'https://spdx.dev/Document/v2.2',
];

export const CYCLONEDX_TYPES: readonly string[] = [
  'https://cyclonedx.org/bom',
  'https://cyclonedx.org/bom/v1.4',
  'https://cyclonedx.org/bom/v1.5',
  'https://cyclonedx.org/bom/v1.6',
];

export type PredicateKind = 'provenance' | 'spdx' | 'cyclonedx' | 'other';

export function predicateKind(predicateType: string): PredicateKind {
  if (SLSA_PROVENANCE_TYPES.includes(predicateType)) return 'provenance';
  if (SPDX_TYPES.includes(predicateType)) return 'spdx';
  if (CYCLONEDX_TYPES.includes(predicateType)) return 'cyclonedx';
  return 'other';
}
