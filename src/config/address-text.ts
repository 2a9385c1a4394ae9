// Addresses from the plugin config as messages may show them: a
// `user:password@` part is masked, so that a misconfigured credential never
// reaches the agent log or a task event.

export function withoutUserinfo(address: string): string {
  return address.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/?#]*@/i, '$1***@');
}
