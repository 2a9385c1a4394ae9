// Hooks run right before the task's thread blocks (a guest sleeping,
// polling, or waiting for an outbound response): output the host holds
// back to send in fewer, larger writes goes out first, so a guest that
// streams slowly is not delayed by the batching.
const hooks = new Set<() => void>();

/** Registers `hook`; the returned function unregisters it. */
export function onBeforeBlocking(hook: () => void): () => void {
  hooks.add(hook);
  return () => hooks.delete(hook);
}

export function beforeBlocking(): void {
  for (const hook of hooks) hook();
}
