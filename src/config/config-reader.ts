// Typed, schema-aware access to a decoded cty object with errors that name
// the offending field, so a user can fix their job file from the message.
import { UNKNOWN, type CtyValue } from '../hclspec/cty-msgpack.js';

export class ConfigFieldError extends Error {
  readonly field: string;
  constructor(field: string, message: string) {
    super(`config field "${field}": ${message}`);
    this.name = 'ConfigFieldError';
    this.field = field;
  }
}

type CtyObject = { [key: string]: CtyValue };

export class ConfigReader {
  private readonly prefix: string;
  constructor(
    private readonly value: CtyObject,
    prefix = '',
  ) {
    this.prefix = prefix;
  }

  /** Accepts the decoded root; anything but an object is a config error. */
  static root(value: CtyValue, what: string): ConfigReader {
    if (value === null) return new ConfigReader({});
    if (value === UNKNOWN || typeof value !== 'object' || Array.isArray(value)) {
      throw new ConfigFieldError(what, `expected an object, got ${describe(value)}`);
    }
    return new ConfigReader(value);
  }

  private get(field: string): CtyValue {
    const value = this.value[field] ?? null;
    if (value === UNKNOWN) {
      throw new ConfigFieldError(
        this.name(field),
        'value is unknown (not yet computed); use a literal or an interpolation Nomad can resolve',
      );
    }
    return value;
  }

  private name(field: string): string {
    return this.prefix ? `${this.prefix}.${field}` : field;
  }

  optionalString(field: string): string | undefined {
    const value = this.get(field);
    if (value === null) return undefined;
    if (typeof value !== 'string')
      throw new ConfigFieldError(this.name(field), `expected a string, got ${describe(value)}`);
    return value;
  }

  requiredString(field: string): string {
    const value = this.optionalString(field);
    if (value === undefined || value === '') throw new ConfigFieldError(this.name(field), 'is required');
    return value;
  }

  optionalBool(field: string): boolean | undefined {
    const value = this.get(field);
    if (value === null) return undefined;
    if (typeof value !== 'boolean')
      throw new ConfigFieldError(this.name(field), `expected a bool, got ${describe(value)}`);
    return value;
  }

  /** cty numbers: ints, float64, or decimal strings for values not exact in binary. */
  optionalNumber(field: string): number | undefined {
    const value = this.get(field);
    if (value === null) return undefined;
    if (typeof value === 'number') return value;
    if (typeof value === 'bigint') return Number(value);
    if (typeof value === 'string' && /^-?\d+(\.\d+)?([eE][-+]?\d+)?$/.test(value)) return Number(value);
    throw new ConfigFieldError(this.name(field), `expected a number, got ${describe(value)}`);
  }

  stringList(field: string): string[] {
    const value = this.get(field);
    if (value === null) return [];
    if (!Array.isArray(value))
      throw new ConfigFieldError(this.name(field), `expected a list of strings, got ${describe(value)}`);
    return value.map((item, i) => {
      if (typeof item !== 'string')
        throw new ConfigFieldError(`${this.name(field)}[${i}]`, `expected a string, got ${describe(item)}`);
      return item;
    });
  }

  /** Repeated blocks (`mount { ... }`): one reader per block, fields named `mount[0].source`. */
  blockList(field: string): ConfigReader[] {
    const value = this.get(field);
    if (value === null) return [];
    if (!Array.isArray(value)) throw new ConfigFieldError(this.name(field), `expected blocks, got ${describe(value)}`);
    return value.map((item, i) => {
      if (item === null || item === UNKNOWN || typeof item !== 'object' || Array.isArray(item)) {
        throw new ConfigFieldError(`${this.name(field)}[${i}]`, `expected a block, got ${describe(item)}`);
      }
      return new ConfigReader(item, `${this.name(field)}[${i}]`);
    });
  }

  /** A block that may appear at most once (declared with `singleBlock`). */
  optionalBlock(field: string): ConfigReader | undefined {
    const blocks = this.blockList(field);
    if (blocks.length > 1) throw new ConfigFieldError(this.name(field), 'may appear only once');
    return blocks[0] === undefined ? undefined : new ConfigReader(blocks[0].value, this.name(field));
  }

  /** Labelled blocks (`namespace "prod" { ... }`): one reader per label. */
  blockMap(field: string): Map<string, ConfigReader> {
    const value = this.get(field);
    const out = new Map<string, ConfigReader>();
    if (value === null) return out;
    if (value === UNKNOWN || typeof value !== 'object' || Array.isArray(value)) {
      throw new ConfigFieldError(this.name(field), `expected labelled blocks, got ${describe(value)}`);
    }
    for (const [label, item] of Object.entries(value)) {
      const name = `${this.name(field)}["${label}"]`;
      if (item === null || item === UNKNOWN || typeof item !== 'object' || Array.isArray(item)) {
        throw new ConfigFieldError(name, `expected a block, got ${describe(item)}`);
      }
      out.set(label, new ConfigReader(item, name));
    }
    return out;
  }

  /** A list(string) that may be left out entirely (undefined) or set empty ([]). */
  optionalStringList(field: string): string[] | undefined {
    return this.get(field) === null ? undefined : this.stringList(field);
  }

  /** A map(string), also accepted as list(map(string)): what Nomad sends for `x = { ... }`. */
  stringMap(field: string): Record<string, string> {
    const value = this.get(field);
    if (value === null) return {};
    if (Array.isArray(value)) {
      const merged: Record<string, string> = {};
      value.forEach((item, i) =>
        Object.assign(merged, new ConfigReader({ [`${field}[${i}]`]: item }, this.prefix).stringMap(`${field}[${i}]`)),
      );
      return merged;
    }
    if (value === UNKNOWN || typeof value !== 'object' || Array.isArray(value)) {
      throw new ConfigFieldError(this.name(field), `expected a map of strings, got ${describe(value)}`);
    }
    const out: Record<string, string> = {};
    for (const [key, item] of Object.entries(value)) {
      if (typeof item !== 'string')
        throw new ConfigFieldError(`${this.name(field)}.${key}`, `expected a string, got ${describe(item)}`);
      out[key] = item;
    }
    return out;
  }
}

function describe(value: CtyValue): string {
  if (value === null) return 'null';
  if (value === UNKNOWN) return 'an unknown value';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'an object';
  return `${typeof value} ${JSON.stringify(typeof value === 'bigint' ? value.toString() : value)}`;
}
