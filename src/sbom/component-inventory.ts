// Everything a component says about what it is made of, gathered once for
// the SBOM writers (cyclonedx-writer.ts, spdx-writer.ts): its name and
// version, licences and source (wasm-metadata fields), the components and
// core modules nested in it with the toolchains that made them (producers),
// and the packages cargo-auditable recorded (`.dep-v0`).
import { createHash } from 'node:crypto';
import { componentUnits, type AuditableDependency, type BinaryUnit } from '../component-meta/component-metadata.js';
import { componentWorld, type ComponentWorld } from '../component-meta/component-world.js';

export interface ComponentInventory {
  /** The component's own name (metadata `name` section), else the reference's last path segment. */
  readonly name: string;
  readonly version: string | null;
  readonly sha256: string;
  readonly reference: string;
  readonly world: ComponentWorld;
  readonly licenses: string | null;
  readonly source: string | null;
  readonly homepage: string | null;
  readonly revision: string | null;
  readonly authors: string | null;
  readonly description: string | null;
  /** Nested components and core modules, outermost first (the component itself excluded). */
  readonly units: readonly BinaryUnit[];
  /** Packages from every `.dep-v0` section, deduplicated by name, version and source. */
  readonly dependencies: readonly AuditableDependency[];
}

export function inventoryOf(bytes: Uint8Array, reference: string): ComponentInventory {
  const units = componentUnits(bytes, reference);
  const [root, ...nested] = units;
  const field = (name: 'licenses' | 'source' | 'homepage' | 'revision' | 'authors' | 'description' | 'version') =>
    root?.fields[name] ?? units.find((u) => u.fields[name] !== undefined)?.fields[name] ?? null;
  const seen = new Set<string>();
  const dependencies = units
    .flatMap((u) => u.dependencies)
    .filter((d) => {
      const key = `${d.name}@${d.version}@${d.source}`;
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    });
  return {
    name: root?.name ?? nameFromReference(reference),
    version: field('version'),
    sha256: createHash('sha256').update(bytes).digest('hex'),
    reference,
    world: componentWorld(bytes, reference),
    licenses: field('licenses'),
    source: field('source'),
    homepage: field('homepage'),
    revision: field('revision'),
    authors: field('authors'),
    description: field('description'),
    units: nested,
    dependencies,
  };
}

function nameFromReference(reference: string): string {
  const path = reference.replace(/^[a-z]+:\/\//, '').split(/[?#]/)[0] ?? reference;
  const last = path.split('/').pop() ?? path;
  return last.replace(/[:@].*$/, '').replace(/\.wasm$/, '') || 'component';
}

/** A package URL for a cargo-auditable package (crates.io and other registries; git and local ones have none). */
export function purlOf(dep: AuditableDependency): string | null {
  if (dep.source !== 'crates.io' && dep.source !== 'registry') return null;
  return `pkg:cargo/${encodeURIComponent(dep.name)}@${encodeURIComponent(dep.version)}`;
}

/** A label for a nested unit: its name section, else its kind and position. */
export function unitLabel(unit: BinaryUnit): string {
  return unit.name ?? `${unit.kind === 'module' ? 'core module' : 'component'} #${unit.index}`;
}
