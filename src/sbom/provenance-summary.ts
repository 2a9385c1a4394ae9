// The facts a policy needs from SLSA provenance (v1, and the v0.2 cosign
// and older builders still write): who built it, how, and from which source
// repository, ref and commit. Builders name the source in different places;
// the first that names it wins, in the order listed below.
import { dig } from '../verify/json-shape.js';

export interface ProvenanceSummary {
  readonly builderId: string | null;
  readonly buildType: string | null;
  readonly repository: string | null;
  readonly ref: string | null;
  readonly commit: string | null;
}

const text = (value: unknown): string | null => (typeof value === 'string' && value !== '' ? value : null);

export function summarizeProvenance(predicateType: string, predicate: unknown): ProvenanceSummary {
  return predicateType.endsWith('/v0.2') ? summarizeV02(predicate) : summarizeV1(predicate);
}

function summarizeV1(p: unknown): ProvenanceSummary {
  const external = dig(p, ['buildDefinition', 'externalParameters']);
  const deps = dig(p, ['buildDefinition', 'resolvedDependencies']);
  const firstDep: unknown = Array.isArray(deps) ? deps[0] : undefined;
  const fromUri = splitGitUri(text(dig(firstDep, ['uri'])));
  // GitHub Actions' buildType keeps it under workflow; generic builders under source or at the top.
  const repository =
    text(dig(external, ['workflow', 'repository'])) ??
    text(dig(external, ['source', 'uri'])) ??
    text(dig(external, ['repository'])) ??
    fromUri.repository;
  const ref = text(dig(external, ['workflow', 'ref'])) ?? text(dig(external, ['ref'])) ?? fromUri.ref;
  return {
    builderId: text(dig(p, ['runDetails', 'builder', 'id'])),
    buildType: text(dig(p, ['buildDefinition', 'buildType'])),
    repository,
    ref,
    commit: text(dig(firstDep, ['digest', 'gitCommit'])) ?? text(dig(firstDep, ['digest', 'sha1'])),
  };
}

function summarizeV02(p: unknown): ProvenanceSummary {
  const config = dig(p, ['invocation', 'configSource']);
  const materials = dig(p, ['materials']);
  const firstMaterial: unknown = Array.isArray(materials) ? materials[0] : undefined;
  const fromUri = splitGitUri(text(dig(config, ['uri'])) ?? text(dig(firstMaterial, ['uri'])));
  return {
    builderId: text(dig(p, ['builder', 'id'])),
    buildType: text(dig(p, ['buildType'])),
    repository: fromUri.repository,
    ref: fromUri.ref,
    commit: text(dig(config, ['digest', 'sha1'])) ?? text(dig(firstMaterial, ['digest', 'sha1'])),
  };
}

/** `git+https://github.com/acme/app@refs/tags/v1` → repository and ref. */
function splitGitUri(uri: string | null): { repository: string | null; ref: string | null } {
  if (uri === null) return { repository: null, ref: null };
  const bare = uri.replace(/^git\+/, '');
  const at = bare.lastIndexOf('@');
  // An @ inside the authority (user@host) is not a ref separator.
  if (at > bare.indexOf('://') + 3 && bare.indexOf('/', bare.indexOf('://') + 3) < at)
    return { repository: bare.slice(0, at), ref: bare.slice(at + 1) || null };
  return { repository: bare, ref: null };
}
