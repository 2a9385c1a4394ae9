// Pushes blobs and manifests to an anonymous registry with plain fetch, not
// with the client under test: for shapes the client never writes itself
// (single-layer images, indexes, cosign .sig images).
import { createHash } from 'node:crypto';

export function digestOf(bytes: Uint8Array): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

export async function rawPushBlob(
  host: string,
  repository: string,
  bytes: Buffer,
): Promise<{ digest: string; size: number }> {
  const digest = digestOf(bytes);
  const session = await fetch(`http://${host}/v2/${repository}/blobs/uploads/`, { method: 'POST' });
  const location = session.headers.get('location');
  if (session.status !== 202 || location === null) throw new Error(`upload session: HTTP ${session.status}`);
  const url = new URL(location, `http://${host}`);
  url.searchParams.set('digest', digest);
  const put = await fetch(url, {
    method: 'PUT',
    body: new Uint8Array(bytes),
    headers: { 'content-type': 'application/octet-stream' },
  });
  if (put.status !== 201) throw new Error(`blob put: HTTP ${put.status} ${await put.text()}`);
  return { digest, size: bytes.byteLength };
}

export async function rawPushManifest(
  host: string,
  repository: string,
  reference: string,
  manifest: object,
  mediaType: string,
): Promise<{ digest: string; size: number }> {
  const bytes = Buffer.from(JSON.stringify(manifest));
  const put = await fetch(`http://${host}/v2/${repository}/manifests/${reference}`, {
    method: 'PUT',
    body: bytes,
    headers: { 'content-type': mediaType },
  });
  if (put.status !== 201) throw new Error(`manifest put: HTTP ${put.status} ${await put.text()}`);
  return { digest: digestOf(bytes), size: bytes.length };
}
