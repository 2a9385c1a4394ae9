// Remembers what the attestations of a component said, per digest and trust
// material (the same fingerprint as signature verdicts), so later starts of
// the same artifact read the facts instead of listing referrers and checking
// signatures again. Unlike a signature verdict a record expires: attestations
// can be attached after an artifact is first run (an SBOM added by a scanner),
// and a start within RECORD_TTL_MS of the last check does not see them.
import { join } from 'node:path';
import { readJsonIfExists, writeJsonAtomically } from '../cache/json-file.js';
import type { AttestationFacts } from './attestation-check.js';

export const RECORD_TTL_MS = 10 * 60_000;

interface AttestationRecord {
  /** The manifest digest for an OCI artifact (attestations name the manifest), else the component digest. */
  readonly digest: string;
  readonly checkedAtMs: number;
  readonly facts: AttestationFacts;
}

export class AttestationStore {
  private readonly dir: string;

  constructor(
    cacheDir: string,
    private readonly now: () => number = Date.now,
  ) {
    // Beside the signature records, so the cache collection removes both with the blob.
    this.dir = join(cacheDir, 'verified');
  }

  /** `component`: the digest of the bytes (the record goes with their blob); `digest`: what was attested. */
  async lookup(component: string, digest: string, fingerprint: string): Promise<AttestationFacts | undefined> {
    const record = await readJsonIfExists<AttestationRecord>(this.pathOf(component, digest, fingerprint));
    if (record?.digest !== digest || this.now() - record.checkedAtMs > RECORD_TTL_MS) return undefined;
    return record.facts;
  }

  record(component: string, digest: string, fingerprint: string, facts: AttestationFacts): Promise<void> {
    const record: AttestationRecord = { digest, checkedAtMs: this.now(), facts };
    return writeJsonAtomically(this.pathOf(component, digest, fingerprint), record);
  }

  private pathOf(component: string, digest: string, fingerprint: string): string {
    const hex = (d: string): string => d.replace('sha256:', '');
    return join(this.dir, `${hex(component)}-${hex(digest).slice(0, 16)}-${fingerprint}.attestations.json`);
  }
}
