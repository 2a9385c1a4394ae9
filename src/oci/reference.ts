// OCI references as users write them in job specs and on the command line:
// `oci://host[:port]/repo[/more]:tag`, `...@sha256:<hex>`, or without `oci://`.
// Unlike docker, there is no default registry: a component's origin is always explicit.
import { DriverError } from '../errors.js';

export interface OciReference {
  /** `host`, `host:port` or `[v6addr]:port`, as written. */
  registry: string;
  repository: string;
  tag?: string;
  /** `sha256:<64 hex>`; when present it is what gets fetched, and the manifest must hash to it. */
  digest?: string;
}

const SCHEME = 'oci://';
const DEFAULT_TAG = 'latest';
// Grammar from the OCI distribution spec (repository path components and tags).
const PATH_COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const TAG = /^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$/;
export const SHA256_DIGEST = /^sha256:[a-f0-9]{64}$/;
const HOSTNAME = /^(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*$/;
const IPV6 = /^\[[0-9A-Fa-f:.]+\]$/;
const MAX_REPOSITORY_LENGTH = 255;

function invalid(text: string, why: string): DriverError {
  return new DriverError('OCI_REFERENCE_INVALID', `invalid OCI reference ${JSON.stringify(text)}: ${why}`);
}

function checkRegistry(text: string, registry: string): void {
  let host = registry;
  const portMatch = /^(.*):(\d+)$/.exec(registry);
  if (portMatch) {
    host = portMatch[1] ?? '';
    const port = Number(portMatch[2]);
    if (port < 1 || port > 65535) throw invalid(text, `port ${portMatch[2]} is out of range`);
  }
  if (IPV6.test(host)) return;
  if (!HOSTNAME.test(host)) throw invalid(text, `registry ${JSON.stringify(registry)} is not a host name`);
  // "library/app" would be a docker-hub shorthand; we require the host explicitly.
  if (!host.includes('.') && !portMatch && host !== 'localhost') {
    throw invalid(
      text,
      `it must start with a registry host (like ghcr.io or localhost:5000), not ${JSON.stringify(host)}`,
    );
  }
}

export function parseOciReference(text: string): OciReference {
  const body = text.startsWith(SCHEME) ? text.slice(SCHEME.length) : text;
  const slash = body.indexOf('/');
  if (slash <= 0) throw invalid(text, 'expected host/repository');
  const registry = body.slice(0, slash);
  checkRegistry(text, registry);

  let rest = body.slice(slash + 1);
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!SHA256_DIGEST.test(digest)) throw invalid(text, 'digest must be sha256:<64 lowercase hex>');
  }
  let tag: string | undefined;
  const colon = rest.lastIndexOf(':');
  if (colon > rest.lastIndexOf('/')) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG.test(tag)) throw invalid(text, `tag ${JSON.stringify(tag)} is not valid`);
  }
  const repository = rest;
  if (repository === '') throw invalid(text, 'repository is empty');
  if (repository.length > MAX_REPOSITORY_LENGTH)
    throw invalid(text, `repository is longer than ${MAX_REPOSITORY_LENGTH} characters`);
  for (const component of repository.split('/')) {
    if (!PATH_COMPONENT.test(component)) {
      throw invalid(
        text,
        `repository component ${JSON.stringify(component)} must be lowercase letters, digits and single separators`,
      );
    }
  }
  if (tag === undefined && digest === undefined) tag = DEFAULT_TAG;
  const ref: OciReference = { registry, repository };
  if (tag !== undefined) ref.tag = tag;
  if (digest !== undefined) ref.digest = digest;
  return ref;
}

export function formatOciReference(ref: OciReference): string {
  return `${SCHEME}${ref.registry}/${ref.repository}${ref.tag !== undefined ? `:${ref.tag}` : ''}${ref.digest !== undefined ? `@${ref.digest}` : ''}`;
}

/** What to ask the registry for: the digest when pinned, else the tag. */
export function manifestReference(ref: OciReference): string {
  return ref.digest ?? ref.tag ?? DEFAULT_TAG;
}
