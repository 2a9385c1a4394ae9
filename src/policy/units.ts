// `units.parse_bytes` as OPA reads it (v1/topdown/parse_bytes.go): a number,
// optionally in scientific notation, then an optional unit, case-insensitive,
// quotes ignored; decimal (k, kb = 1000) and binary (ki, kib = 1024) units;
// the product truncated to an integer. Anything else is an error in OPA
// (undefined here).
const UNITS: Readonly<Record<string, bigint>> = {
  '': 1n,
  k: 1000n,
  kb: 1000n,
  ki: 1024n,
  kib: 1024n,
  m: 1000n ** 2n,
  mb: 1000n ** 2n,
  mi: 1024n ** 2n,
  mib: 1024n ** 2n,
  g: 1000n ** 3n,
  gb: 1000n ** 3n,
  gi: 1024n ** 3n,
  gib: 1024n ** 3n,
  t: 1000n ** 4n,
  tb: 1000n ** 4n,
  ti: 1024n ** 4n,
  tib: 1024n ** 4n,
  p: 1000n ** 5n,
  pb: 1000n ** 5n,
  pi: 1024n ** 5n,
  pib: 1024n ** 5n,
  e: 1000n ** 6n,
  eb: 1000n ** 6n,
  ei: 1024n ** 6n,
  eib: 1024n ** 6n,
};

/** Digits and dots, then an optional exponent (e, sign, digits): OPA's boundary between number and unit. */
const NUMBER = /^([+-]?[0-9.]*(?:[eE][+-]?[0-9]+)?)(.*)$/;

export function parseBytes(raw: string): bigint | undefined {
  const text = raw.toLowerCase().replaceAll('"', '');
  if (text.includes(' ')) return undefined;
  const [, num = '', unit = ''] = NUMBER.exec(text) ?? [];
  const exponent = /e[+-]?(\d+)$/.exec(num)?.[1];
  if (num === '' || (exponent !== undefined && exponent.length > 6)) return undefined;
  const multiplier = UNITS[unit];
  if (multiplier === undefined || !/^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/.test(num)) return undefined;
  return truncatedProduct(num, multiplier);
}

/** num × multiplier, truncated toward zero, exactly (num is a decimal literal). */
function truncatedProduct(num: string, multiplier: bigint): bigint {
  const negative = num.startsWith('-');
  const [mantissa = '', exp = '0'] = num.replace(/^[+-]/, '').split('e');
  const [whole = '', fraction = ''] = mantissa.split('.');
  const digits = (negative ? -1n : 1n) * BigInt(`${whole}${fraction}` || '0');
  const scale = Number(exp) - fraction.length;
  const product = digits * multiplier;
  return scale >= 0 ? product * 10n ** BigInt(scale) : product / 10n ** BigInt(-scale);
}
