// Who signed what each version of a job's task ran, as this node admitted
// it: the input's `previous.signer`, so a policy can ask that a version
// granting more than the one before was signed by another identity. One
// small record per task and version under `<cache_dir>/policy/admitted/`;
// a version admitted only on other nodes is unknown here (null).
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { readJsonIfExists, writeJsonAtomically } from '../cache/json-file.js';
import type { SignerFacts } from '../policy/input-document.js';

export interface VersionKey {
  readonly namespace: string;
  readonly jobId: string;
  readonly group: string;
  readonly task: string;
  readonly version: number;
}

interface AdmittedRecord {
  readonly key: VersionKey;
  readonly digest: string;
  readonly signer: SignerFacts | null;
  readonly admittedAt: string;
}

export class AdmittedVersions {
  private readonly dir: string;

  constructor(cacheDir: string) {
    this.dir = join(cacheDir, 'policy', 'admitted');
  }

  async signerOf(key: VersionKey): Promise<SignerFacts | null> {
    const record = await readJsonIfExists<AdmittedRecord>(this.pathOf(key));
    return record && sameKey(record.key, key) ? record.signer : null;
  }

  record(key: VersionKey, digest: string, signer: SignerFacts | null): Promise<void> {
    const record: AdmittedRecord = { key, digest, signer, admittedAt: new Date().toISOString() };
    return writeJsonAtomically(this.pathOf(key), record);
  }

  private pathOf(key: VersionKey): string {
    const name = createHash('sha256')
      .update(JSON.stringify([key.namespace, key.jobId, key.group, key.task]))
      .digest('hex')
      .slice(0, 32);
    return join(this.dir, `${name}-v${key.version}.json`);
  }
}

function sameKey(a: VersionKey, b: VersionKey): boolean {
  return (
    a.namespace === b.namespace &&
    a.jobId === b.jobId &&
    a.group === b.group &&
    a.task === b.task &&
    a.version === b.version
  );
}
