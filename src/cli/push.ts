// `nomad-wasm push <file> <ref> [--sign-key key.pem]`: publishes a component
// as a Wasm OCI artifact (the layout `wkg` and `oras` use), after checking
// it is one, and with --sign-key attaches a Sigstore bundle signed with that
// key as an OCI referrer of the manifest, where the driver looks for it.
// stdout: the pinned reference (oci://…@<manifest digest>), the one thing
// to put in a job or in Terraform; the rest goes to stderr.
import { readFile } from 'node:fs/promises';
import { OciClient } from '../oci/client.js';
import { formatOciReference, parseOciReference } from '../oci/reference.js';
import { checkComponentHeader } from '../runtime/component-file.js';
import { loadSigningKey, signatureBundle, SIGSTORE_BUNDLE_TYPE } from '../sign/key-signature-bundle.js';
import { formatMiB } from '../source/progress.js';
import { clientOptionsFor } from '../source/registry-options.js';
import { registryFlags, usage, type CliFlags } from './flags.js';

export async function pushCommand(args: readonly string[], flags: CliFlags): Promise<number> {
  const [file, ref] = args;
  if (file === undefined || ref === undefined || args.length > 2)
    return usage('push takes <file.wasm> <oci://registry/repo:tag>');
  const bytes = await readFile(file);
  checkComponentHeader(bytes, file);
  // A bad key fails before anything is pushed.
  const signKey = flags['sign-key'];
  const key = signKey === undefined ? undefined : loadSigningKey(signKey, process.env.NOMAD_WASM_SIGNING_KEY_PASSWORD);
  const reference = parseOciReference(ref);
  const { insecure, auth } = registryFlags(flags);
  const client = new OciClient(
    clientOptionsFor(
      reference.registry,
      insecure ? [{ host: reference.registry, auth: undefined, insecure: true, caCertPem: undefined }] : [],
      auth,
    ),
  );
  try {
    process.stderr.write(`Pushing ${file} (${formatMiB(bytes.length)}) to ${formatOciReference(reference)}\n`);
    const started = Date.now();
    const pushed = await client.pushComponent(reference, bytes);
    process.stderr.write(`Pushed in ${Date.now() - started} ms; component layer ${pushed.layerDigest}\n`);
    if (key !== undefined) {
      const bundle = signatureBundle(bytes, key);
      await client.pushReferrer(reference, pushed.manifestDigest, SIGSTORE_BUNDLE_TYPE, bundle, SIGSTORE_BUNDLE_TYPE);
      process.stderr.write(`Signed with key sha256:${key.fingerprint} (Sigstore bundle attached as a referrer)\n`);
    }
    process.stdout.write(`${formatOciReference({ ...reference, tag: undefined, digest: pushed.manifestDigest })}\n`);
    return 0;
  } finally {
    client.close();
  }
}
