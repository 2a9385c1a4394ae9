// The control mapping: which kinds of evidence the driver produces support
// which controls of which framework. It lives in policy/control-mapping.csv
// so compliance people can read and change it (a spreadsheet opens it);
// `nomad-wasm evidence --mapping <file>` takes their own. RFC 4180 CSV:
// a header row, commas, fields in double quotes when they hold a comma,
// a quote ("" inside) or a line break.
import { readFileSync } from 'node:fs';
import { DriverError } from '../errors.js';

/** The kinds of evidence a task can have; a row's `evidence` column names one. */
export const EVIDENCE_KINDS = [
  'grants',
  'secrets',
  'outbound_network',
  'signature',
  'provenance',
  'sbom',
  'policy_decision',
  'capability_drift',
] as const;
export type EvidenceKind = (typeof EVIDENCE_KINDS)[number];

export interface ControlRow {
  readonly evidence: EvidenceKind;
  readonly framework: string;
  readonly control: string;
  readonly title: string;
  readonly why: string;
}

export const DEFAULT_MAPPING = new URL('../../policy/control-mapping.csv', import.meta.url);
const COLUMNS = ['evidence', 'framework', 'control', 'title', 'why'] as const;

export function readControlMapping(path: string | URL = DEFAULT_MAPPING): ControlRow[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new DriverError(
      'CONTROL_MAPPING_INVALID',
      `cannot read the control mapping ${String(path)}: ${(err as Error).message}`,
      {
        cause: err,
      },
    );
  }
  return parseControlMapping(text, String(path));
}

export function parseControlMapping(text: string, what: string): ControlRow[] {
  const [header, ...rows] = parseCsv(text, what).filter((row) => row.some((cell) => cell.trim() !== ''));
  if (header === undefined || COLUMNS.some((c, i) => header[i]?.trim() !== c))
    throw mappingError(what, `the first row must be the header ${COLUMNS.join(',')}`);
  return rows.map((row, i) => {
    const [evidence = '', framework = '', control = '', title = '', why = ''] = row.map((cell) => cell.trim());
    if (!(EVIDENCE_KINDS as readonly string[]).includes(evidence))
      throw mappingError(what, `row ${i + 2}: evidence "${evidence}" is not one of ${EVIDENCE_KINDS.join(', ')}`);
    if (framework === '' || control === '')
      throw mappingError(what, `row ${i + 2}: framework and control are required`);
    return { evidence: evidence as EvidenceKind, framework, control, title, why };
  });
}

function mappingError(what: string, why: string): DriverError {
  return new DriverError('CONTROL_MAPPING_INVALID', `control mapping ${what}: ${why}`);
}

/** RFC 4180 rows; a quote left open is an error, not a silently merged row. */
function parseCsv(text: string, what: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else cell += ch;
    } else if (ch === '"' && cell === '') quoted = true;
    else if (ch === ',') {
      row.push(cell);
      cell = '';
    } else if (ch === '\n' || ch === '\r') {
      if (ch === '\r' && text[i + 1] === '\n') i++;
      row.push(cell);
      rows.push(row);
      row = [];
      cell = '';
    } else cell += ch;
  }
  if (quoted) throw mappingError(what, 'a quoted field is never closed');
  if (cell !== '' || row.length > 0) rows.push([...row, cell]);
  return rows;
}
