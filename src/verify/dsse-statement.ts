// A DSSE bundle signs an in-toto statement, not the component itself.
// @sigstore/verify checks the envelope signature only; what binds it to the
// component is a statement subject whose sha256 equals the component digest
// (or, for an OCI artifact, the manifest digest cosign signs and attests),
// checked here. The statement's predicate is read by whoever asked for it.
import { DriverError, type ErrorCode } from '../errors.js';
import { dig, isRecord } from './json-shape.js';

export const IN_TOTO_PAYLOAD_TYPE = 'application/vnd.in-toto+json';
/** cosign v2 writes v0.1 statements, cosign v3 and GitHub's attest actions v1; both mean the same here. */
export const IN_TOTO_STATEMENT_TYPES: readonly string[] = [
  'https://in-toto.io/Statement/v0.1',
  'https://in-toto.io/Statement/v1',
];

export interface InTotoStatement {
  readonly statementType: string;
  readonly predicateType: string;
  /** `sha256` hex digests of the subjects (lower case); subjects without one are left out. */
  readonly subjectDigests: readonly string[];
  readonly predicate: unknown;
}

/** Parses a DSSE payload as an in-toto statement; anything else is `code` (an invalid signature or attestation). */
export function parseStatement(payloadType: string, payload: Buffer, origin: string, code: ErrorCode): InTotoStatement {
  if (payloadType !== IN_TOTO_PAYLOAD_TYPE) {
    throw new DriverError(
      code,
      `${origin}: DSSE payload type is ${JSON.stringify(payloadType)}, not ${IN_TOTO_PAYLOAD_TYPE}`,
    );
  }
  let statement: unknown;
  try {
    statement = JSON.parse(payload.toString('utf8'));
  } catch (err) {
    throw new DriverError(code, `${origin}: DSSE payload is not JSON`, { cause: err });
  }
  if (!isRecord(statement)) throw new DriverError(code, `${origin}: in-toto statement is not a JSON object`);
  const subjects = statement['subject'];
  const subjectDigests = (Array.isArray(subjects) ? subjects : [])
    .map((s: unknown) => dig(s, ['digest', 'sha256']))
    .filter((d): d is string => typeof d === 'string')
    .map((d) => d.toLowerCase());
  const statementType = statement['_type'];
  const predicateType = statement['predicateType'];
  return {
    statementType: typeof statementType === 'string' ? statementType : '',
    predicateType: typeof predicateType === 'string' ? predicateType : '',
    subjectDigests,
    predicate: statement['predicate'],
  };
}

/**
 * The statement must name one of `acceptedHex` (the component's sha256, and
 * the OCI manifest's when there is one) as a subject.
 */
export function checkStatementSubject(
  statement: InTotoStatement,
  acceptedHex: readonly string[],
  origin: string,
  code: ErrorCode,
): void {
  if (!statement.subjectDigests.some((d) => acceptedHex.includes(d))) {
    throw new DriverError(
      code,
      `${origin}: in-toto statement subjects (${statement.subjectDigests.map((d) => `sha256:${d}`).join(', ') || 'none'}) do not include ${acceptedHex.map((h) => `sha256:${h}`).join(' or ')}`,
    );
  }
}
