// What a component is, read from its WIT world (as jco prints it): a
// command or an HTTP service, of WASI 0.2 or 0.3, and which of its imports
// no host of ours provides. The one place that tells 0.2 from 0.3: the
// cache records the answer, and the task host runs the component by it.
import { DriverError } from '../errors.js';
import { providesImport } from './provided-imports.js';
import { p3ImportSupport } from '../wasi-p3/host.js';
import { isP3Version, SERVED_P3_VERSIONS, splitVersion } from '../wasi-p3/versions.js';

export type WorldKind = 'command' | 'http';
export type WasiVersion = '0.2' | '0.3';

export interface WorldItems {
  readonly imports: readonly string[];
  readonly exports: readonly string[];
}

export interface ComponentWorldInfo {
  readonly kind: WorldKind;
  /** The WASI release of the export the driver calls (its runner follows it). */
  readonly wasi: WasiVersion;
  /** Whether any import is a WASI 0.3 interface (the instance then gets the 0.3 host too). */
  readonly p3Imports: boolean;
}

/**
 * `import wasi:io/poll@0.2.12;` lines of the root world (one per line as
 * componentWit prints them); inline items (`import name: func(...)`) by name.
 */
export function worldItems(wit: string): WorldItems {
  const items = (keyword: 'import' | 'export'): string[] => {
    const pattern = new RegExp(`^\\s*${keyword}\\s+([^\\s;{]+?)\\s*(?:;|:\\s)`, 'gm');
    return [...wit.matchAll(pattern)].map((m) => m[1] ?? '').filter((name) => name !== '');
  };
  return { imports: items('import'), exports: items('export') };
}

const HTTP_EXPORTS: readonly [string, WasiVersion][] = [
  ['wasi:http/incoming-handler', '0.2'],
  ['wasi:http/handler', '0.3'],
];
const COMMAND_EXPORTS: readonly [string, WasiVersion][] = [
  ['wasi:cli/run', '0.2'],
  ['wasi:cli/run', '0.3'],
];

const HOSTED = SERVED_P3_VERSIONS.join(', ');
const REBUILD = 'rebuild it with a current toolchain (componentize-py ≥ 0.25, spin-sdk 5, Rust wasm32-wasip3)';

/** The component's kind and WASI release; a coded error for anything the driver cannot run. */
export function classifyWorld(items: WorldItems): ComponentWorldInfo {
  const p3Imports = items.imports.some((name) => p3ImportSupport(name) !== undefined);
  const unsupported = unsupportedImports(items.imports);
  if (unsupported.length > 0) {
    throw new DriverError(
      'COMPONENT_WORLD_UNSUPPORTED',
      `the component imports interfaces this driver does not provide: ${unsupported.join('; ')}`,
    );
  }
  const found =
    findExport(items.exports, HTTP_EXPORTS, 'http') ?? findExport(items.exports, COMMAND_EXPORTS, 'command');
  if (!found) {
    throw new DriverError(
      'COMPONENT_WORLD_UNSUPPORTED',
      `the component exports neither wasi:cli/run nor a wasi:http handler (wasi:http/incoming-handler@0.2, wasi:http/handler@0.3) (it exports: ${items.exports.join(', ') || 'nothing'})`,
    );
  }
  return { ...found, p3Imports };
}

function findExport(
  exports: readonly string[],
  candidates: readonly [string, WasiVersion][],
  kind: WorldKind,
): { kind: WorldKind; wasi: WasiVersion } | undefined {
  for (const name of exports) {
    const [iface, version] = splitVersion(name);
    for (const [wanted, wasi] of candidates) {
      if (iface !== wanted || version === undefined) continue;
      const p3 = isP3Version(version);
      if (wasi === '0.3' && p3 && !SERVED_P3_VERSIONS.includes(version)) {
        throw new DriverError(
          'COMPONENT_WORLD_UNSUPPORTED',
          `the component exports ${name}, a WASI 0.3 release candidate this driver does not host (it hosts ${HOSTED}): ${REBUILD}`,
        );
      }
      if (p3 === (wasi === '0.3')) return { kind, wasi };
    }
  }
  return undefined;
}

/** Whether a host of ours (0.2 or 0.3) provides an import, at its version. */
export function importSupported(name: string): boolean {
  const p3 = p3ImportSupport(name);
  return p3 === undefined ? providesImport(name) : p3 === 'served';
}

/** The WASI release a world's export is of, if it is one the driver runs. */
export function worldRelease(exports: readonly string[]): WasiVersion | undefined {
  try {
    return (findExport(exports, HTTP_EXPORTS, 'http') ?? findExport(exports, COMMAND_EXPORTS, 'command'))?.wasi;
  } catch {
    return undefined; // an unserved 0.3 release candidate
  }
}

/** Imports no host of ours provides, each with why. */
export function unsupportedImports(imports: readonly string[]): string[] {
  const out: string[] = [];
  for (const name of imports) {
    switch (p3ImportSupport(name)) {
      case 'served':
        continue;
      case 'not-hosted':
        out.push(`${name} (not hosted by the WASI 0.3 host)`);
        continue;
      case 'unserved-version':
        out.push(`${name} (a WASI 0.3 release candidate this driver does not host; it hosts ${HOSTED}: ${REBUILD})`);
        continue;
      default:
        if (!providesImport(name)) out.push(name);
    }
  }
  return out;
}
