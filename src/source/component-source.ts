// Where a task's component comes from, as written in `component = "..."`.
import { DriverError } from '../errors.js';

export type ComponentSource =
  /** A file inside the task dir, e.g. `local/app.wasm` (fetched by an `artifact` block). */
  | { readonly kind: 'file'; readonly path: string; readonly checksum: string | undefined }
  /** `oci://registry/repo:tag` or `oci://registry/repo@sha256:…`. */
  | { readonly kind: 'oci'; readonly reference: string; readonly checksum: string | undefined }
  /** An `https://` URL; the checksum is mandatory because nothing else pins the bytes. */
  | { readonly kind: 'https'; readonly url: URL; readonly checksum: string };

export function parseComponentSource(component: string, checksum: string | undefined): ComponentSource {
  if (component.startsWith('oci://')) return { kind: 'oci', reference: component, checksum };
  if (/^https?:\/\//i.test(component)) {
    let url: URL;
    try {
      url = new URL(component);
    } catch (err) {
      throw new DriverError(
        'TASK_CONFIG_INVALID',
        `invalid task config: config field "component": "${component}" is not a valid URL`,
        { cause: err },
      );
    }
    if (url.protocol === 'http:' && !isLoopback(url.hostname)) {
      throw new DriverError(
        'TASK_CONFIG_INVALID',
        `invalid task config: config field "component": plain http:// is refused (use https://, or an artifact block)`,
      );
    }
    if (checksum === undefined) {
      throw new DriverError(
        'TASK_CONFIG_INVALID',
        `invalid task config: config field "checksum": required when the component is a URL (checksum = "sha256:<hex>")`,
      );
    }
    return { kind: 'https', url, checksum };
  }
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(component)) {
    throw new DriverError(
      'TASK_CONFIG_INVALID',
      `invalid task config: config field "component": unsupported scheme in "${component}" (use a path in the task dir, oci:// or https://)`,
    );
  }
  return { kind: 'file', path: component, checksum };
}

/** Plain http is only for a server on this machine (tests, a local mirror). */
function isLoopback(hostname: string): boolean {
  return hostname === 'localhost' || hostname === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(hostname);
}
