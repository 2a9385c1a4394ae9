// OPA's `sprintf` is Go's fmt.Sprintf over the arguments converted the way
// OPA converts them (v1/topdown/strings.go builtinSprintf): strings stay
// strings, integral numbers become int64, other numbers float64, anything
// else the text of its Rego value (`["a", 1]`, `{"k": true}`). This is the
// part of fmt those arguments can reach: the verbs v s d q f e g x X t and %%,
// flags `-+ 0#`, width and precision, and Go's `%!verb(type=value)` texts
// for mismatches, missing and extra arguments.
//
// One difference is inherent to the Wasm host: a set reaches it as an array,
// so it prints as `["a"]` where OPA prints `{"a"}`.

type GoArg =
  | { readonly kind: 'string'; readonly value: string }
  | { readonly kind: 'int64'; readonly value: bigint }
  | { readonly kind: 'float64'; readonly value: number };

interface Spec {
  readonly flags: string;
  readonly width: number | undefined;
  readonly precision: number | undefined;
  readonly verb: string;
}

const DIRECTIVE = /%([-+# 0]*)(\d+)?(?:\.(\d*))?([a-zA-Z%])?/g;

export function goSprintf(format: string, values: readonly unknown[]): string {
  const args = values.map(toGoArg);
  let next = 0;
  let out = '';
  let last = 0;
  for (const m of format.matchAll(DIRECTIVE)) {
    out += format.slice(last, m.index);
    last = m.index + m[0].length;
    const [, flags = '', width, precision, verb] = m;
    if (verb === undefined) {
      out += '%!(NOVERB)';
      continue;
    }
    if (verb === '%') {
      out += '%';
      continue;
    }
    const spec: Spec = {
      flags,
      width: width === undefined ? undefined : Number(width),
      precision: precision === undefined ? undefined : Number(precision || '0'),
      verb,
    };
    const arg = args[next++];
    out += arg === undefined ? `%!${verb}(MISSING)` : pad(formatArg(arg, spec), spec, arg);
  }
  out += format.slice(last);
  if (next < args.length)
    out += `%!(EXTRA ${args
      .slice(next)
      .map((a) => `${a.kind}=${plain(a)}`)
      .join(', ')})`;
  return out;
}

function toGoArg(value: unknown): GoArg {
  if (typeof value === 'string') return { kind: 'string', value };
  if (typeof value === 'number') {
    if (Number.isInteger(value) && Number.isSafeInteger(value)) return { kind: 'int64', value: BigInt(value) };
    return { kind: 'float64', value };
  }
  return { kind: 'string', value: regoText(value) };
}

/** The text of a Rego value as OPA's ast.Value.String() writes it. */
export function regoText(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'string') return goQuote(value);
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) return `[${value.map(regoText).join(', ')}]`;
  if (typeof value === 'object') {
    const entries = Object.entries(value).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${goQuote(k)}: ${regoText(v)}`).join(', ')}}`;
  }
  // JSON holds nothing else; a bigint or undefined never reaches here from a policy.
  return typeof value === 'bigint' ? value.toString() : 'null';
}

/** strconv.Quote for the characters a policy's strings hold. */
export function goQuote(text: string): string {
  let out = '"';
  for (const ch of text) {
    const code = ch.codePointAt(0) ?? 0;
    const escaped = GO_ESCAPES[ch];
    if (escaped !== undefined) out += escaped;
    else if (code < 0x20 || code === 0x7f) out += `\\x${code.toString(16).padStart(2, '0')}`;
    else out += ch;
  }
  return `${out}"`;
}

const GO_ESCAPES: Readonly<Record<string, string>> = {
  '"': '\\"',
  '\\': '\\\\',
  '\x07': '\\a',
  '\b': '\\b',
  '\f': '\\f',
  '\n': '\\n',
  '\r': '\\r',
  '\t': '\\t',
  '\v': '\\v',
};

function plain(arg: GoArg): string {
  switch (arg.kind) {
    case 'string':
      return arg.value;
    case 'int64':
      return arg.value.toString();
    case 'float64':
      return formatG(arg.value, undefined);
  }
}

function bad(arg: GoArg, verb: string): string {
  return `%!${verb}(${arg.kind}=${plain(arg)})`;
}

function formatArg(arg: GoArg, spec: Spec): string {
  const { verb, precision, flags } = spec;
  switch (arg.kind) {
    case 'string': {
      const s = precision === undefined ? arg.value : [...arg.value].slice(0, precision).join('');
      if (verb === 'v' || verb === 's') return s;
      if (verb === 'q') return goQuote(s);
      if (verb === 'x' || verb === 'X') {
        const hex = Buffer.from(s, 'utf8').toString('hex');
        return verb === 'X' ? hex.toUpperCase() : hex;
      }
      return bad(arg, verb);
    }
    case 'int64': {
      const sign = arg.value < 0n ? '-' : flags.includes('+') ? '+' : flags.includes(' ') ? ' ' : '';
      const abs = arg.value < 0n ? -arg.value : arg.value;
      if (verb === 'v' || verb === 'd') return sign + zeroPrecision(abs.toString(), precision);
      if (verb === 'x') return sign + (flags.includes('#') ? '0x' : '') + zeroPrecision(abs.toString(16), precision);
      if (verb === 'X')
        return sign + (flags.includes('#') ? '0X' : '') + zeroPrecision(abs.toString(16).toUpperCase(), precision);
      return bad(arg, verb);
    }
    case 'float64': {
      const sign =
        arg.value < 0 || Object.is(arg.value, -0) ? '-' : flags.includes('+') ? '+' : flags.includes(' ') ? ' ' : '';
      const abs = Math.abs(arg.value);
      if (verb === 'f' || verb === 'F') return sign + abs.toFixed(precision ?? 6);
      if (verb === 'e' || verb === 'E') {
        const e = formatE(abs, precision ?? 6);
        return sign + (verb === 'E' ? e.toUpperCase() : e);
      }
      if (verb === 'v' || verb === 'g' || verb === 'G') {
        const g = formatG(abs, precision);
        return sign + (verb === 'G' ? g.toUpperCase() : g);
      }
      return bad(arg, verb);
    }
  }
}

function zeroPrecision(digits: string, precision: number | undefined): string {
  return precision === undefined ? digits : digits.padStart(precision, '0');
}

/** Go's %e: d.ddde±XX, at least two exponent digits. */
function formatE(abs: number, precision: number | undefined): string {
  const text = precision === undefined ? abs.toExponential() : abs.toExponential(precision);
  const [mantissa, exp = '+0'] = text.split('e');
  const sign = exp.startsWith('-') ? '-' : '+';
  return `${mantissa}e${sign}${exp.replace(/^[+-]/, '').padStart(2, '0')}`;
}

/** Go's %g (and %v): the exponent form when the exponent is < -4 or ≥ the precision (6 for the shortest digits, as %v). */
function formatG(abs: number, precision: number | undefined): string {
  if (!Number.isFinite(abs)) return Number.isNaN(abs) ? 'NaN' : '+Inf';
  if (abs === 0) return '0';
  const shortest = precision === undefined;
  const digitsText = shortest ? abs.toExponential() : abs.toExponential(Math.max(precision - 1, 0));
  const [mantissa = '', expText = '0'] = digitsText.split('e');
  const exp = Number(expText);
  const digits = mantissa.replace('.', '');
  const eprec = shortest ? 6 : Math.max(precision, 1);
  if (exp < -4 || exp >= eprec) {
    const trimmed = shortest ? mantissa : mantissa.replace(/\.?0+$/, '');
    return `${trimmed}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
  }
  // Positional: the same significant digits, the point moved.
  const point = exp + 1;
  let text: string;
  if (point <= 0) text = `0.${'0'.repeat(-point)}${digits}`;
  else if (point >= digits.length) text = digits + '0'.repeat(point - digits.length);
  else text = `${digits.slice(0, point)}.${digits.slice(point)}`;
  return shortest ? text : text.replace(/(\.\d*?)0+$/, '$1').replace(/\.$/, '');
}

function pad(text: string, spec: Spec, arg: GoArg): string {
  const width = spec.width;
  const length = [...text].length;
  if (width === undefined || length >= width) return text;
  if (spec.flags.includes('-')) return text + ' '.repeat(width - length);
  // Zero padding goes after a number's sign.
  if (spec.flags.includes('0') && arg.kind !== 'string') {
    const signed = /^[+\- ]/.test(text);
    const body = signed ? text.slice(1) : text;
    return (signed ? text[0] : '') + body.padStart(width - (signed ? 1 : 0), '0');
  }
  if (spec.flags.includes('0')) return text.padStart(width, '0');
  return text.padStart(width, ' ');
}
