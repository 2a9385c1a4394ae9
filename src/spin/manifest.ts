// A Spin application manifest (spin.toml, manifest version 2) as far as a
// Nomad task needs it: what one component asks of its host (key-value
// stores, variables, outbound hosts) and how it is triggered. The driver
// never takes grants from it (the job grants); it checks the job against it
// (manifest-check.ts), so an app whose job forgot a grant fails at start
// with what to add instead of failing at its first request.
import { parse } from 'smol-toml';
import { DriverError } from '../errors.js';

export interface SpinComponentNeeds {
  readonly id: string;
  /** `source` of the component (a file name, a URL table: shown only). */
  readonly source: string | undefined;
  readonly keyValueStores: readonly string[];
  readonly allowedOutboundHosts: readonly string[];
  /** `[component.<id>.variables]`: name → the template Spin would resolve (`"{{ greeting }}"` or a literal). */
  readonly variables: Readonly<Record<string, string>>;
  /** HTTP trigger routes of the component (`/...`); empty when it has none. */
  readonly httpRoutes: readonly string[];
  /** Trigger types other than http that name the component (redis, ...). */
  readonly otherTriggers: readonly string[];
}

type Table = Record<string, unknown>;

function isTable(value: unknown): value is Table {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function invalid(what: string, message: string): DriverError {
  return new DriverError('SPIN_MANIFEST_INVALID', `${what}: ${message}`);
}

/** `what` names the file in messages; `componentId` picks the component when there are several. */
export function readSpinManifest(text: string, what: string, componentId?: string): SpinComponentNeeds {
  let manifest: Table;
  try {
    manifest = parse(text);
  } catch (err) {
    throw invalid(what, `not valid TOML: ${(err as Error).message}`);
  }
  if (manifest['spin_manifest_version'] !== 2)
    throw invalid(what, 'only spin_manifest_version = 2 is read (Spin 2 and later write it)');
  const components = isTable(manifest['component']) ? manifest['component'] : {};
  const ids = Object.keys(components);
  const id = componentId ?? (ids.length === 1 ? ids[0] : undefined);
  if (id === undefined)
    throw invalid(
      what,
      ids.length === 0
        ? 'it declares no [component.<id>]'
        : `it declares several components (${ids.join(', ')}): name the one this task runs with spin { component = "<id>" }`,
    );
  const component = components[id];
  if (!isTable(component))
    throw invalid(what, `it has no [component.${id}] (its components: ${ids.join(', ') || 'none'})`);
  const variables = isTable(component['variables']) ? component['variables'] : {};
  const { httpRoutes, otherTriggers } = triggersOf(manifest['trigger'], id);
  return {
    id,
    source: typeof component['source'] === 'string' ? component['source'] : undefined,
    keyValueStores: stringList(component['key_value_stores'], `${what}: component.${id}.key_value_stores`),
    allowedOutboundHosts: stringList(
      component['allowed_outbound_hosts'],
      `${what}: component.${id}.allowed_outbound_hosts`,
    ),
    variables: Object.fromEntries(Object.entries(variables).map(([name, value]) => [name, String(value)])),
    httpRoutes,
    otherTriggers,
  };
}

/** The triggers (`[[trigger.<type>]]`) that run component `id`. */
function triggersOf(triggers: unknown, id: string): { httpRoutes: string[]; otherTriggers: string[] } {
  const httpRoutes: string[] = [];
  const otherTriggers: string[] = [];
  if (!isTable(triggers)) return { httpRoutes, otherTriggers };
  for (const [type, list] of Object.entries(triggers)) {
    for (const trigger of Array.isArray(list) ? list : [list]) {
      if (!isTable(trigger) || trigger['component'] !== id) continue;
      if (type === 'http') httpRoutes.push(routeOf(trigger['route']));
      else if (!otherTriggers.includes(type)) otherTriggers.push(type);
    }
  }
  return { httpRoutes, otherTriggers };
}

/** A route is a path, or `{ private = true }` (reachable only by other components). */
function routeOf(route: unknown): string {
  if (typeof route === 'string') return route;
  return isTable(route) && route['private'] === true ? '(private)' : String(route);
}

function stringList(value: unknown, what: string): string[] {
  if (value === undefined) return [];
  if (!Array.isArray(value) || value.some((item) => typeof item !== 'string'))
    throw new DriverError('SPIN_MANIFEST_INVALID', `${what}: must be a list of strings`);
  return value as string[];
}
