// Components in a real OCI registry (Debian's docker-registry), signed with
// a test key made at test time: the bundle is pushed as an OCI referrer,
// exactly as the driver and `nomad-wasm verify` look for it.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { OciClient } from '../../../src/oci/client.js';
import { parseOciReference } from '../../../src/oci/reference.js';
import { REPO_ROOT } from '../../e2e/support/nomad-agent.ts';
import { startRegistry, type RunningRegistry } from '../../oci/support/registry.ts';
import { makeKey, messageSignatureBundle, signBytes, type TestKey } from '../../verify/support/key-signer.ts';

const BUNDLE_TYPE = 'application/vnd.dev.sigstore.bundle.v0.3+json';

export interface PushedComponent {
  /** oci://host/repo:tag */
  readonly tagRef: string;
  readonly manifestDigest: string;
}

export interface ComponentRegistry {
  readonly registry: RunningRegistry;
  readonly key: TestKey;
  readonly client: OciClient;
  /** Pushes `.cache/components/<name>.wasm` (with `variant` appended as a custom section, so each variant has its own digest), signed unless `signed` is false. */
  push(
    repo: string,
    tag: string,
    name: string,
    options?: { signed?: boolean; variant?: string },
  ): Promise<PushedComponent>;
}

/** A custom section (id 0) named `variant`: other bytes, same behaviour. */
function withCustomSection(bytes: Buffer, variant: string): Buffer {
  const name = Buffer.from(variant);
  const payload = Buffer.concat([Buffer.from([name.length]), name]);
  return Buffer.concat([bytes, Buffer.from([0x00, payload.length]), payload]);
}

export async function startComponentRegistry(): Promise<ComponentRegistry> {
  const registry = await startRegistry();
  const key = makeKey();
  const client = new OciClient({});
  return {
    registry,
    key,
    client,
    async push(repo, tag, name, options = {}) {
      const original = await readFile(join(REPO_ROOT, '.cache/components', `${name}.wasm`));
      const bytes = options.variant ? withCustomSection(original, options.variant) : original;
      const tagRef = `oci://${registry.host}/${repo}:${tag}`;
      const pushed = await client.pushComponent(parseOciReference(tagRef), bytes);
      if (options.signed !== false) {
        const bundle = messageSignatureBundle(bytes, signBytes(key.privateKey, bytes), { hint: key.hint });
        await client.pushReferrer(parseOciReference(tagRef), pushed.manifestDigest, BUNDLE_TYPE, bundle, BUNDLE_TYPE);
      }
      return { tagRef, manifestDigest: pushed.manifestDigest };
    },
  };
}
