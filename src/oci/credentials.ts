// What a registry login is made of. `identityToken` is an OAuth2 refresh
// token (what `docker login` stores for some registries); it is exchanged at
// the token realm and never sent to the registry itself.
export type RegistryCredentials = { username: string; password: string } | { identityToken: string } | undefined;

/** For error messages: never the secret, only what kind of login was tried. */
export function describeCredentials(credentials: RegistryCredentials): string {
  if (credentials === undefined) return 'anonymously (no credentials given)';
  if ('identityToken' in credentials) return 'with an identity token';
  return `as user ${JSON.stringify(credentials.username)}`;
}

export function basicAuthorization(credentials: { username: string; password: string }): string {
  return `Basic ${Buffer.from(`${credentials.username}:${credentials.password}`).toString('base64')}`;
}
