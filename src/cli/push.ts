// `nomad-wasm push <file> <ref>`: publishes a component (or a WASI preview1
// command module) as a Wasm OCI artifact (the layout `wkg` and `oras` use),
// after checking it is one.
import { readFile } from 'node:fs/promises';
import { OciClient } from '../oci/client.js';
import { formatOciReference, parseOciReference } from '../oci/reference.js';
import { checkComponentHeader } from '../runtime/component-file.js';
import { checkPreview1Command } from '../runtime/preview1-adapter.js';
import { formatMiB } from '../source/progress.js';
import { clientOptionsFor } from '../source/registry-options.js';
import { registryFlags, usage, type CliFlags } from './flags.js';

export async function pushCommand(args: readonly string[], flags: CliFlags): Promise<number> {
  const [file, ref] = args;
  if (file === undefined || ref === undefined || args.length > 2)
    return usage('push takes <file.wasm> <oci://registry/repo:tag>');
  const bytes = await readFile(file);
  // A core module is published only if the driver can run it (a WASI preview1 command).
  if (checkComponentHeader(bytes, file) === 'core-module') checkPreview1Command(bytes, file);
  const reference = parseOciReference(ref);
  const { insecure, auth } = registryFlags(flags);
  const client = new OciClient(
    clientOptionsFor(
      reference.registry,
      insecure ? [{ host: reference.registry, auth: undefined, insecure: true, caCertPem: undefined }] : [],
      auth,
    ),
  );
  process.stderr.write(`Pushing ${file} (${formatMiB(bytes.length)}) to ${formatOciReference(reference)}\n`);
  const started = Date.now();
  const pushed = await client.pushComponent(reference, bytes);
  process.stderr.write(`Pushed in ${Date.now() - started} ms\n`);
  process.stdout.write(
    `${formatOciReference({ ...reference, tag: undefined, digest: pushed.manifestDigest })}\nlayer ${pushed.layerDigest}\n`,
  );
  return 0;
}
