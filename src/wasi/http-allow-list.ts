// The outbound HTTP allow-list: which authorities a component may call.
//
// Entries are `host`, `host:port` or `*.domain[:port]`. Without a port,
// only the scheme's default port (80 for http, 443 for https) is allowed,
// so `api.example.com` does not open every port of that host. `*.domain`
// matches subdomains, not `domain` itself.

export interface AllowEntry {
  readonly host: string;
  readonly wildcard: boolean;
  readonly port: number | undefined;
}

const ENTRY = /^(\*\.)?([a-z0-9-]+(?:\.[a-z0-9-]+)*|\[[0-9a-f:.]+\])(?::(\d{1,5}))?$/;

/** Parses one entry; returns an error message for a malformed one. */
export function parseAllowEntry(text: string): AllowEntry | string {
  const match = ENTRY.exec(text.trim().toLowerCase());
  if (!match) return `"${text}" is not host, host:port or *.domain[:port]`;
  const port = match[3] === undefined ? undefined : Number(match[3]);
  if (port !== undefined && (port < 1 || port > 65535)) return `"${text}": port out of range`;
  return { host: match[2] as string, wildcard: match[1] !== undefined, port };
}

export function entryToString(entry: AllowEntry): string {
  return `${entry.wildcard ? '*.' : ''}${entry.host}${entry.port === undefined ? '' : `:${entry.port}`}`;
}

/** Whether a request to `host:port` over `scheme` is allowed by `entries`. */
export function isAllowed(
  entries: readonly AllowEntry[],
  scheme: 'http' | 'https',
  host: string,
  port: number,
): boolean {
  const name = host.toLowerCase();
  const defaultPort = scheme === 'https' ? 443 : 80;
  return entries.some((entry) => {
    const hostMatches = entry.wildcard ? name.endsWith(`.${entry.host}`) : name === entry.host;
    return hostMatches && port === (entry.port ?? defaultPort);
  });
}

/** Whether every entry of `requested` is covered by an entry of `ceiling` (operator limits). */
export function coveredBy(requested: AllowEntry, ceiling: readonly AllowEntry[]): boolean {
  return ceiling.some((limit) => {
    const portOk = limit.port === undefined ? requested.port === undefined : limit.port === requested.port;
    if (!portOk) return false;
    if (!limit.wildcard) return !requested.wildcard && requested.host === limit.host;
    return requested.host.endsWith(`.${limit.host}`);
  });
}
