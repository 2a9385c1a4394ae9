// Remembers which digests passed which policy, so a component is verified
// once per node and later starts pay nothing. A record is named by the
// digest and a fingerprint of everything the verdict depended on (keys,
// identities, trusted root): change the policy and old records no longer
// match. Records live beside the blobs and are collected with them.
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { readJsonIfExists, writeJsonAtomically } from '../cache/json-file.js';
import type { SignaturePolicy } from '../verify/policy.js';
import type { VerifiedSigner } from '../verify/verify-artifact.js';

interface VerifiedRecord {
  readonly digest: string;
  readonly signer: VerifiedSigner;
  readonly verifiedAt: string;
}

export class VerifiedStore {
  private readonly dir: string;

  constructor(cacheDir: string) {
    this.dir = join(cacheDir, 'verified');
  }

  async lookup(digest: string, policyFingerprint: string): Promise<VerifiedSigner | undefined> {
    const record = await readJsonIfExists<VerifiedRecord>(this.pathOf(digest, policyFingerprint));
    return record?.digest === digest ? record.signer : undefined;
  }

  record(digest: string, policyFingerprint: string, signer: VerifiedSigner): Promise<void> {
    const record: VerifiedRecord = { digest, signer, verifiedAt: new Date().toISOString() };
    return writeJsonAtomically(this.pathOf(digest, policyFingerprint), record);
  }

  private pathOf(digest: string, policyFingerprint: string): string {
    return join(this.dir, `${digest.replace('sha256:', '')}-${policyFingerprint}.json`);
  }
}

/** What a verdict depends on; the mode is not part of it (warn and enforce verify alike). */
export function policyFingerprint(policy: SignaturePolicy, trustedRoot: unknown): string {
  const material = JSON.stringify({
    keys: [...policy.keys].map((k) => k.trim()).sort(),
    identities: policy.identities,
    trustedRoot: trustedRoot ?? null,
  });
  return createHash('sha256').update(material).digest('hex').slice(0, 16);
}
