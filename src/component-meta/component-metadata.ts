// What a component carries about how it was made, walked through its nested
// components and core modules:
//   producers       the `producers` section toolchains write (language,
//                   processed-by, sdk), as `wasm-tools metadata show` reads it
//   names           `component-name` / `name` sections (subsection 0)
//   fields          wasm-metadata's OCI-annotation sections: authors,
//                   description, licenses (an SPDX expression), source,
//                   homepage, revision, version (WebAssembly/tool-conventions
//                   Annotations.md); each payload is the UTF-8 text
//   dependencies    cargo-auditable's `.dep-v0` section (zlib-compressed
//                   JSON), which Syft does not read from Wasm
import { inflateSync } from 'node:zlib';
import { ByteReader, binaryKind, COMPONENT_SECTION, sections, type BinaryKind } from './component-binary.js';

export const METADATA_FIELDS = [
  'authors',
  'description',
  'licenses',
  'source',
  'homepage',
  'revision',
  'version',
] as const;
export type MetadataField = (typeof METADATA_FIELDS)[number];

export interface Producer {
  /** `language`, `processed-by` or `sdk`. */
  readonly field: string;
  readonly name: string;
  readonly version: string;
}

/** A package cargo-auditable recorded (`.dep-v0`). */
export interface AuditableDependency {
  readonly name: string;
  readonly version: string;
  /** `crates.io`, `git`, `local`, `registry`, … as cargo-auditable writes it. */
  readonly source: string;
  readonly kind: 'runtime' | 'build';
  readonly root: boolean;
}

export interface BinaryUnit {
  readonly kind: BinaryKind;
  /** Its name section, if any. */
  readonly name: string | undefined;
  /** Position among the units, depth first (0 is the outermost component). */
  readonly index: number;
  readonly parent: number | undefined;
  readonly producers: readonly Producer[];
  readonly fields: Readonly<Partial<Record<MetadataField, string>>>;
  readonly dependencies: readonly AuditableDependency[];
}

/** cargo-auditable's own limit is 8 MiB; wasm-tools stops at 2 MiB. */
const MAX_DEP_JSON = 8 * 1024 * 1024;

/** Every component and core module in the binary, outermost first. */
export function componentUnits(bytes: Uint8Array, what: string): BinaryUnit[] {
  const units: BinaryUnit[] = [];
  walk(bytes, undefined, units, what);
  return units;
}

function walk(bytes: Uint8Array, parent: number | undefined, units: BinaryUnit[], what: string): void {
  const kind = binaryKind(bytes);
  if (kind === undefined) return;
  const index = units.length;
  const producers: Producer[] = [];
  const fields: Partial<Record<MetadataField, string>> = {};
  const dependencies: AuditableDependency[] = [];
  let name: string | undefined;
  const unit = { kind, index, parent, producers, fields, dependencies, name };
  units.push(unit);
  for (const section of sections(bytes, what)) {
    if (section.customName !== undefined && section.payload !== undefined) {
      const { customName, payload } = section;
      if (customName === 'producers') producers.push(...readProducers(payload, what));
      else if (customName === '.dep-v0') dependencies.push(...readDepV0(payload));
      else if (customName === (kind === 'component' ? 'component-name' : 'name')) name = readNameSection(payload, what);
      else if ((METADATA_FIELDS as readonly string[]).includes(customName))
        fields[customName as MetadataField] = new TextDecoder().decode(payload);
    } else if (
      kind === 'component' &&
      (section.id === COMPONENT_SECTION.coreModule || section.id === COMPONENT_SECTION.component)
    ) {
      walk(section.body, index, units, what);
    }
  }
  unit.name = name;
}

function readProducers(payload: Uint8Array, what: string): Producer[] {
  const reader = new ByteReader(payload, 0, `${what} (producers section)`);
  const out: Producer[] = [];
  const fieldCount = reader.u32();
  for (let f = 0; f < fieldCount; f++) {
    const field = reader.name();
    const valueCount = reader.u32();
    for (let v = 0; v < valueCount; v++) out.push({ field, name: reader.name(), version: reader.name() });
  }
  return out;
}

/** Subsection 0 of a name section is the module's (or component's) own name. */
function readNameSection(payload: Uint8Array, what: string): string | undefined {
  const reader = new ByteReader(payload, 0, `${what} (name section)`);
  while (!reader.done) {
    const id = reader.byte();
    const body = reader.take(reader.u32());
    if (id === 0) return new ByteReader(body, 0, what).name();
  }
  return undefined;
}

/** A malformed `.dep-v0` is ignored (it is informative, never a reason to refuse a component). */
function readDepV0(payload: Uint8Array): AuditableDependency[] {
  let json: unknown;
  try {
    json = JSON.parse(inflateSync(payload, { maxOutputLength: MAX_DEP_JSON }).toString('utf8'));
  } catch {
    return [];
  }
  const packages = typeof json === 'object' && json !== null && 'packages' in json ? json.packages : undefined;
  if (!Array.isArray(packages)) return [];
  return packages.flatMap((p: unknown): AuditableDependency[] => {
    if (typeof p !== 'object' || p === null) return [];
    const { name, version, source, kind, root } = p as Record<string, unknown>;
    if (typeof name !== 'string' || typeof version !== 'string') return [];
    return [
      {
        name,
        version,
        source: typeof source === 'string' ? source : 'crates.io',
        kind: kind === 'build' ? 'build' : 'runtime',
        root: root === true,
      },
    ];
  });
}
