// A DSSE bundle signs an in-toto statement, not the component itself.
// @sigstore/verify checks the envelope signature only; what binds it to the
// component is a statement subject whose sha256 equals the component digest,
// checked here.
import { DriverError } from '../errors.js';
import { dig, isRecord } from './json-shape.js';

export const IN_TOTO_PAYLOAD_TYPE = 'application/vnd.in-toto+json';

export function checkStatementSubject(payloadType: string, payload: Buffer, sha256Hex: string, origin: string): void {
  if (payloadType !== IN_TOTO_PAYLOAD_TYPE) {
    throw new DriverError(
      'SIGNATURE_INVALID',
      `${origin}: DSSE payload type is ${JSON.stringify(payloadType)}, not ${IN_TOTO_PAYLOAD_TYPE}`,
    );
  }
  let statement: unknown;
  try {
    statement = JSON.parse(payload.toString('utf8'));
  } catch (err) {
    throw new DriverError('SIGNATURE_INVALID', `${origin}: DSSE payload is not JSON`, { cause: err });
  }
  const subjects = isRecord(statement) ? statement['subject'] : undefined;
  const digests = Array.isArray(subjects) ? subjects.map((s: unknown) => dig(s, ['digest', 'sha256'])) : [];
  if (!digests.some((d) => typeof d === 'string' && d.toLowerCase() === sha256Hex)) {
    throw new DriverError(
      'SIGNATURE_INVALID',
      `${origin}: in-toto statement subjects (${digests.map(String).join(', ') || 'none'}) do not include sha256:${sha256Hex}`,
    );
  }
}
