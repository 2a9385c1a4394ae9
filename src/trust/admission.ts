// Admission of a component: under the namespace's signature policy, may it
// run? `off` skips the check; `warn` runs it unverified with a warning
// event (but broken trust material fails it: see verify-mode.ts);
// `enforce` fails the task. The signer that vouched is audit evidence.
import { readFile } from 'node:fs/promises';
import type { SignatureConfig } from '../config/signature-config.js';
import type { DriverError } from '../errors.js';
import { digestOfFile, type FetchedComponent } from '../source/fetch-component.js';
import { policyForNamespace } from '../verify/policy.js';
import type { VerifiedSigner } from '../verify/verify-artifact.js';
import { discoverSignatures } from './signature-discovery.js';
import { policyFingerprint, type VerifiedStore } from './verified-store.js';

export type Admission =
  | { readonly status: 'not-checked' }
  | {
      readonly status: 'verified';
      readonly signer: VerifiedSigner;
      readonly digest: string;
      readonly fromCache: boolean;
    }
  | { readonly status: 'unverified'; readonly reason: DriverError; readonly digest: string };

export interface AdmissionContext {
  readonly namespace: string;
  readonly signatures: SignatureConfig;
  readonly verified: VerifiedStore;
  readonly taskDir: string;
  /** The job's `component` value, to find a bundle beside a local file. */
  readonly componentField: string;
}

export async function admitComponent(component: FetchedComponent, ctx: AdmissionContext): Promise<Admission> {
  const policy = policyForNamespace(ctx.signatures, ctx.namespace);
  if (policy.mode === 'off') return { status: 'not-checked' };
  const digest = component.kind === 'file' ? await digestOfFile(component.path) : component.digest;
  const fingerprint = policyFingerprint(policy, ctx.signatures.trustedRoot);
  const known = await ctx.verified.lookup(digest, fingerprint);
  if (known) return { status: 'verified', signer: known, digest, fromCache: true };
  // sigstore libraries only load when a policy needs them.
  const { verifyWithMode } = await import('../verify/verify-mode.js');
  const inputs = await discoverSignatures(component, ctx.taskDir, ctx.componentField);
  const artifact = {
    digest,
    bytes: await readFile(component.path),
    ...(component.kind === 'oci' ? { manifestDigest: component.manifestDigest } : {}),
  };
  // Only the keys this namespace accepts are offered as trust material.
  const outcome = await verifyWithMode(artifact, inputs, policy, {
    publicKeysPem: policy.keys,
    trustedRootJson: ctx.signatures.trustedRoot,
  });
  switch (outcome.outcome) {
    case 'verified':
      await ctx.verified.record(digest, fingerprint, outcome.signer);
      return { status: 'verified', signer: outcome.signer, digest, fromCache: false };
    case 'warned':
      return { status: 'unverified', reason: outcome.error, digest };
    case 'skipped':
      return { status: 'not-checked' };
  }
}

/** One line for task events and logs: who vouched for the component. */
export function describeSigner(signer: VerifiedSigner): string {
  if (signer.kind === 'key')
    return `key sha256:${signer.keyFingerprint}${signer.timestamp ? ` at ${signer.timestamp}` : ''} (${signer.origin})`;
  return `${signer.subject} from issuer ${signer.issuer} at ${signer.timestamp} (${signer.origin})`;
}
