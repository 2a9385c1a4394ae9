// `nomad-wasm verify <ref>`: the driver's admission check, run by hand with
// the policy given as flags. Exit 0 when a trusted signer vouches for it.
import { readFileSync } from 'node:fs';
import { readPem } from '../config/registry-config.js';
import type { IdentityRule, SignatureConfig } from '../config/signature-config.js';
import { isDriverError } from '../errors.js';
import { attachedEvidence } from '../source/attached-evidence.js';
import { checkSignature, describeSigner } from '../trust/signature-check.js';
import { VerifiedStore } from '../trust/verified-store.js';
import { policyForNamespace } from '../verify/policy.js';
import { formatOciReference } from '../oci/reference.js';
import { fetchRef } from './fetch-ref.js';
import { registryFlags, usage, type CliFlags } from './flags.js';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export async function verifyCommand(args: readonly string[], flags: CliFlags): Promise<number> {
  const [ref] = args;
  if (ref === undefined || args.length > 1) return usage('verify takes exactly one <ref>');
  const identities: IdentityRule[] = [];
  for (const text of flags.identity) {
    const eq = text.indexOf('=');
    if (eq <= 0 || eq === text.length - 1) return usage(`--identity "${text}" must be <issuer>=<subject-pattern>`);
    identities.push({ issuer: text.slice(0, eq), subject: text.slice(eq + 1) });
  }
  const keys = flags.key.map((path, i) => readPem(path, `--key[${i}]`));
  if (keys.length === 0 && identities.length === 0) return usage('verify needs at least one --key or --identity');
  const rootPath = flags['trusted-root'];
  if (identities.length > 0 && rootPath === undefined) return usage('--identity needs --trusted-root');
  const signatures: SignatureConfig = {
    default: { mode: 'enforce', keys, identities },
    namespaces: {},
    trustedRoot: rootPath === undefined ? undefined : (JSON.parse(readFileSync(rootPath, 'utf8')) as unknown),
  };
  if (!flags.json) return verifyRef(ref, flags, signatures);
  // --json: the verdict on stdout either way (for tools such as the Terraform
  // provider); a refusal keeps exit code 1 and carries the error code.
  try {
    return await verifyRef(ref, flags, signatures);
  } catch (err) {
    if (!isDriverError(err)) throw err;
    process.stdout.write(`${JSON.stringify({ verified: false, code: err.code, message: err.message }, null, 2)}\n`);
    return 1;
  }
}

async function verifyRef(ref: string, flags: CliFlags, signatures: SignatureConfig): Promise<number> {
  const fetched = await fetchRef(ref, flags.checksum, registryFlags(flags));
  // A private record dir: the CLI must really verify, never trust a cache.
  const recordDir = await mkdtemp(join(tmpdir(), 'nomad-wasm-verify-'));
  try {
    const evidence = attachedEvidence(fetched.component, fetched.baseDir, fetched.field);
    const admission = await checkSignature(
      evidence,
      policyForNamespace(signatures, 'default'),
      signatures,
      new VerifiedStore(recordDir),
    );
    if (admission.status !== 'verified') throw new Error(`unexpected admission ${admission.status} under enforce`);
    const digest = await evidence.digest();
    const component = fetched.component;
    // What to pin: for OCI the manifest digest (a reference by the layer's
    // digest is not a manifest and fails to pull), else the bytes' digest.
    const pinned =
      component.kind === 'oci'
        ? formatOciReference({ ...component.reference, tag: undefined, digest: component.manifestDigest })
        : undefined;
    if (flags.json) {
      const report = {
        verified: true,
        reference: component.origin,
        digest,
        ...(component.kind === 'oci' ? { manifestDigest: component.manifestDigest, pinnedReference: pinned } : {}),
        signer: admission.signer,
        signedBy: describeSigner(admission.signer),
      };
      process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
      return 0;
    }
    const what = pinned === undefined ? digest : `${pinned}\ncomponent layer ${digest} (what the signature covers)`;
    process.stdout.write(`verified ${what}\nsigned by ${describeSigner(admission.signer)}\n`);
    return 0;
  } finally {
    await rm(recordDir, { recursive: true, force: true });
    await fetched.cleanup();
  }
}
