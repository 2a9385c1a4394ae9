// The task's secret values, in the task host's memory only: config key ->
// value, per secret. Written by the lease manager (fetch, rotation,
// expiry), read by wasi:config/store on every `get`. Never serialised to
// disk; the snapshot below goes to a worker thread of the same process.
import { ConfigStoreError } from '../wasi/config-store.js';

interface Held {
  keys: ReadonlyMap<string, string>;
  /** Set once the secret's lease ran out without a replacement: its keys answer an error. */
  unavailable: string | undefined;
}

/** A plain-data copy for another thread (src/task-host/shared-secrets.ts). */
export interface SecretSnapshot {
  readonly secrets: ReadonlyArray<{
    readonly name: string;
    readonly keys: ReadonlyArray<readonly [string, string]>;
    readonly unavailable?: string;
  }>;
}

export class SecretStore {
  private readonly held = new Map<string, Held>();
  /** Config key -> secret name. */
  private readonly owners = new Map<string, string>();
  private readonly listeners: Array<() => void> = [];

  /** Puts (or replaces, on rotation) a secret's keys. */
  set(name: string, keys: ReadonlyMap<string, string>): void {
    const previous = this.held.get(name);
    if (previous) for (const key of previous.keys.keys()) this.owners.delete(key);
    this.held.set(name, { keys, unavailable: undefined });
    for (const key of keys.keys()) this.owners.set(key, name);
    this.changed();
  }

  /** Its lease expired and no fresh value could be fetched: the component gets `upstream(reason)`. */
  markUnavailable(name: string, reason: string): void {
    const held = this.held.get(name);
    if (!held || held.unavailable === reason) return;
    held.unavailable = reason;
    this.changed();
  }

  isAvailable(name: string): boolean {
    const held = this.held.get(name);
    return held !== undefined && held.unavailable === undefined;
  }

  get(key: string): string | undefined {
    const name = this.owners.get(key);
    if (name === undefined) return undefined;
    const held = this.held.get(name);
    if (!held) return undefined;
    if (held.unavailable !== undefined) throw new ConfigStoreError('upstream', held.unavailable);
    return held.keys.get(key);
  }

  /** One secret's keys as last read, available or not (the lease manager compares re-reads with them). */
  keysOf(name: string): ReadonlyMap<string, string> {
    return this.held.get(name)?.keys ?? new Map<string, string>();
  }

  entries(granted: (key: string) => boolean): [string, string][] {
    const out: [string, string][] = [];
    for (const held of this.held.values()) {
      for (const [key, value] of held.keys) {
        if (!granted(key)) continue;
        if (held.unavailable !== undefined) throw new ConfigStoreError('upstream', held.unavailable);
        out.push([key, value]);
      }
    }
    return out;
  }

  /** Called after every change (rotation, expiry). */
  onChange(listener: () => void): void {
    this.listeners.push(listener);
  }

  snapshot(): SecretSnapshot {
    return {
      secrets: [...this.held].map(([name, held]) => ({
        name,
        keys: [...held.keys],
        ...(held.unavailable !== undefined ? { unavailable: held.unavailable } : {}),
      })),
    };
  }

  /** A store rebuilt from a snapshot (in the thread that runs a command). */
  static fromSnapshot(snapshot: SecretSnapshot): SecretStore {
    const store = new SecretStore();
    for (const secret of snapshot.secrets) {
      store.set(secret.name, new Map(secret.keys));
      if (secret.unavailable !== undefined) store.markUnavailable(secret.name, secret.unavailable);
    }
    return store;
  }

  private changed(): void {
    for (const listener of this.listeners) listener();
  }
}
