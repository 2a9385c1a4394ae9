// What a component says about itself, for the policy input: its world
// (imports, exports) and how it was made (producers, metadata sections),
// read from the binary once per digest and kept in memory for later starts.
import { componentUnits, METADATA_FIELDS } from '../component-meta/component-metadata.js';
import { componentWorld } from '../component-meta/component-world.js';
import type { AdmissionInput } from '../policy/input-document.js';

export type ComponentFacts = Pick<
  AdmissionInput['component'],
  'world' | 'imports' | 'exports' | 'producers' | 'metadata'
>;

const MAX_REMEMBERED = 256;

export class ComponentFactsCache {
  private readonly known = new Map<string, ComponentFacts>();

  async factsOf(digest: string, bytes: () => Promise<Uint8Array>, what: string): Promise<ComponentFacts> {
    const hit = this.known.get(digest);
    if (hit) {
      // Most recently used last, so the oldest goes first.
      this.known.delete(digest);
      this.known.set(digest, hit);
      return hit;
    }
    const facts = readFacts(await bytes(), what);
    if (this.known.size >= MAX_REMEMBERED) this.known.delete(this.known.keys().next().value as string);
    this.known.set(digest, facts);
    return facts;
  }
}

export function readFacts(bytes: Uint8Array, what: string): ComponentFacts {
  const { world, imports, exports } = componentWorld(bytes, what);
  const units = componentUnits(bytes, what);
  const producers = new Map<string, { field: string; name: string; version: string }>();
  for (const unit of units)
    for (const p of unit.producers)
      producers.set(`${p.field}\u0000${p.name}\u0000${p.version}`, {
        field: p.field,
        name: p.name,
        version: p.version,
      });
  // The outermost component's fields win; a nested module's fill in what it lacks.
  const metadata: Record<string, string> = {};
  for (const unit of units)
    for (const field of METADATA_FIELDS) {
      const value = unit.fields[field];
      if (value !== undefined && !(field in metadata)) metadata[field] = value;
    }
  return { world, imports, exports, producers: [...producers.values()], metadata };
}
