// Small builders for hclspec.Spec messages, the schema language Nomad uses
// to decode HCL config blocks. Names follow Nomad's Go helpers (hclspec.NewAttr…).
import type { Spec } from '../generated/hashicorp/nomad/plugins/shared/hclspec/Spec.js';

export type { Spec };

/** The root of every schema we return: output keys = the map's keys. */
export function object(attributes: Record<string, Spec>): Spec {
  return { object: { attributes } };
}

/** An attribute `name = <type>`; `type` is an HCL type expression. */
export function attr(name: string, type: string, required = false): Spec {
  return { Attr: { name, type, required } };
}

/** `primary`, or `value` (an HCL expression such as "\"x\"" or "true") when unset. */
export function withDefault(primary: Spec, value: string): Spec {
  return { default: { primary, default: { literal: { value } } } };
}

/** Repeated `name { ... }` blocks, each decoded with `nested`; `maxItems` 0 = unbounded. */
export function blockList(name: string, nested: Spec, maxItems = 0): Spec {
  return { block_list: { name, min_items: 0, max_items: maxItems, nested } };
}

/** At most one `name { ... }` block: a block list Nomad itself caps at one. */
export function singleBlock(name: string, nested: Spec): Spec {
  return blockList(name, nested, 1);
}

/** Labelled blocks `name "label" { ... }`, decoded as a map keyed by the label. */
export function blockMap(name: string, label: string, nested: Spec): Spec {
  return { block_map: { name, labels: [label], nested } };
}

/** The names of a schema's labelled blocks (`secret "db" { … }`), at the top level of an `object`. */
export function labelledBlockNames(spec: Spec): string[] {
  return Object.values(spec.object?.attributes ?? {}).flatMap((s) => (s.block_map?.name ? [s.block_map.name] : []));
}
