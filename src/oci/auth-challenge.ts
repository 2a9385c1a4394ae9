// Parses a registry's `WWW-Authenticate` header, e.g.
//   Bearer realm="https://auth.example/token",service="registry.example",scope="repository:app:pull"
//   Basic realm="Registry Realm"

export interface AuthChallenge {
  /** Lowercased: `bearer` or `basic` (others are kept so errors can name them). */
  readonly scheme: string;
  readonly params: Readonly<Record<string, string>>;
}

const PARAM = /\s*([A-Za-z0-9_-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]*))\s*,?/y;

export function parseAuthChallenge(header: string | undefined): AuthChallenge | undefined {
  if (header === undefined) return undefined;
  const scheme = /^\s*([A-Za-z][A-Za-z0-9_-]*)/.exec(header);
  if (!scheme?.[1]) return undefined;
  const params: Record<string, string> = {};
  PARAM.lastIndex = scheme[0].length;
  for (let match = PARAM.exec(header); match; match = PARAM.exec(header)) {
    const key = match[1]?.toLowerCase();
    if (key !== undefined) params[key] = match[2] !== undefined ? match[2].replace(/\\(.)/g, '$1') : (match[3] ?? '');
  }
  return { scheme: scheme[1].toLowerCase(), params };
}
