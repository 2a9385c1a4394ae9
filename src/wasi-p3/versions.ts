// Which WASI 0.3 releases this host serves, and how their interfaces are
// keyed in the import object.
//
// jco's glue asks for imports by interface name without version, so a
// component that imports `wasi:cli/stdout@0.2.9` and `wasi:cli/stdout@0.3.0`
// (componentize-py's do: its Python runtime is built on WASI 0.2) would
// get one object for both. At transpile time every 0.3 interface is renamed
// to `<interface>@0.3` (jco's `map` option): the 0.2 host keeps the plain
// names, this host the `@0.3` ones.
//
// Served: 0.3.0 (ratified 2026-06-11; componentize-py ≥ 0.25, Rust
// wasm32-wasip3) and 0.3.0-rc-2026-03-15 (componentize-py 0.22–0.24;
// spin-sdk 5 imports it beside 0.3.0). Both have one shape, the one jco
// 1.35 knows. Older release candidates (0.3.0-rc-2025-09-16 and
// -rc-2026-01-06, componentize-py 0.19–0.21) differ and are refused by name.

export const SERVED_P3_VERSIONS: readonly string[] = ['0.3.0', '0.3.0-rc-2026-03-15'];

/** The WASI packages that have 0.3 releases. */
const P3_PACKAGES = ['cli', 'clocks', 'filesystem', 'http', 'random', 'sockets'] as const;

/** `wasi:cli/stdout` -> the key this host answers under. */
export function p3Key(iface: string): string {
  return `${iface}@0.3`;
}

/** jco's `map` option: every served 0.3 interface to its `@0.3` key. */
export function p3ImportMap(): Record<string, string> {
  const map: Record<string, string> = {};
  for (const version of SERVED_P3_VERSIONS)
    for (const pkg of P3_PACKAGES) map[`wasi:${pkg}/*@${version}`] = `wasi:${pkg}/*@0.3`;
  return map;
}

/** Whether a version string is some WASI 0.3 release or release candidate. */
export function isP3Version(version: string): boolean {
  return version === '0.3.0' || version.startsWith('0.3.0-') || /^0\.3\.\d+$/.test(version);
}

/** `wasi:http/handler@0.3.0` -> [`wasi:http/handler`, `0.3.0`]; no version: [name, undefined]. */
export function splitVersion(name: string): [string, string | undefined] {
  const at = name.lastIndexOf('@');
  return at > name.lastIndexOf('/') ? [name.slice(0, at), name.slice(at + 1)] : [name, undefined];
}
