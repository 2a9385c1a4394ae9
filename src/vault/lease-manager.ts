// Keeps a task's Vault secrets fresh for as long as the task runs, in the
// task host:
//
// - fetches every secret at start (StartTask fails with a typed error if one
//   cannot be read, after revoking what was already obtained);
// - renews each lease before it expires (at 50–70 % of what is left), with
//   exponential backoff and jitter on failure, each failure a task event;
// - when a lease cannot be extended any more (its max TTL) or is gone in
//   Vault, reads the secret again and swaps the new values in (a rotation,
//   also an event); the component sees them on its next `get`;
// - re-reads secrets without a lease (KV) every `staticRefreshMs`;
// - when Vault stays unreachable past a lease's end, the secret's keys answer
//   an `upstream` error until a read succeeds again;
// - at stop, revokes every lease still alive (revokeAll).
//
// The task's token is Nomad's: it is read from its source for every
// request, never renewed or revoked here. Events and notices name secrets
// and paths, never values or lease ids.
import { DriverError, describeError } from '../errors.js';
import { readPath, secretContent, type SecretContent } from './secret-keys.js';
import type { SecretSpec } from './secret-spec.js';
import type { SecretStore } from './secret-store.js';
import type { VaultClient, VaultReadResult } from './vault-client.js';
import { startError, transient, vaultFailureCode } from './vault-errors.js';
import { VaultRequestError } from './vault-request-error.js';

export type EventSink = (message: string, annotations: Record<string, string>) => void;

export interface LeaseManagerOptions {
  readonly client: VaultClient;
  readonly store: SecretStore;
  readonly secrets: readonly SecretSpec[];
  /** Re-read interval for secrets without a lease; 0 = never. */
  readonly staticRefreshMs: number;
  /** Task events (renewals, rotations, failures, revocation). */
  readonly onEvent: EventSink;
  /** Checks a secret's keys against what the job asks of them; throws VAULT_SECRET_INVALID. */
  readonly validate?: (spec: SecretSpec, content: SecretContent) => void;
  /** Retry delays; defaults suit production, tests shorten them. */
  readonly retry?: { readonly initialMs: number; readonly maxMs: number };
}

interface Lease {
  readonly id: string;
  /** The duration Vault first gave it: what each renewal asks for. */
  readonly ttlSec: number;
  expiresAt: number;
  renewable: boolean;
  /** Vault will not extend it further (max TTL reached, or not renewable). */
  final: boolean;
}

interface Managed {
  readonly spec: SecretSpec;
  current: Lease | undefined;
  /** Leases replaced by a rotation, alive until they expire; revoked at stop. */
  retired: Lease[];
  timer: NodeJS.Timeout | undefined;
  failures: number;
  kvVersion: number | undefined;
}

const START_ATTEMPTS = 3;
const START_RETRY_MS = [500, 1500];
const DEFAULT_RETRY = { initialMs: 1000, maxMs: 30_000 };
/** After a lease has expired, not every failed attempt is an event: only every Nth. */
const EXPIRED_EVENT_EVERY = 10;

function between(low: number, high: number): number {
  return low + Math.random() * (high - low);
}

function clock(ms: number): string {
  return `${new Date(ms).toISOString().slice(11, 19)} UTC`;
}

function seconds(ms: number): string {
  return `${Math.max(0, Math.round(ms / 100) / 10)}s`;
}

export class LeaseManager {
  private readonly managed: Managed[];
  private readonly retry: { readonly initialMs: number; readonly maxMs: number };
  private stopped = false;
  /** Revocations of leases read but not usable; revokeAll waits for them. */
  private readonly pendingRevocations: Array<Promise<void>> = [];

  private constructor(private readonly options: LeaseManagerOptions) {
    this.managed = options.secrets.map((spec) => ({
      spec,
      current: undefined,
      retired: [],
      timer: undefined,
      failures: 0,
      kvVersion: undefined,
    }));
    this.retry = options.retry ?? DEFAULT_RETRY;
  }

  /** Reads every secret (in parallel) and starts keeping them fresh. */
  static async start(options: LeaseManagerOptions): Promise<LeaseManager> {
    const manager = new LeaseManager(options);
    const results = await Promise.allSettled(manager.managed.map((secret) => manager.fetchAtStart(secret)));
    const failed = results.find((result): result is PromiseRejectedResult => result.status === 'rejected');
    if (failed) {
      // The task will not run: give back what was obtained.
      await manager.revokeAll(5000, { quiet: true });
      throw failed.reason;
    }
    for (const secret of manager.managed) manager.schedule(secret);
    return manager;
  }

  private async fetchAtStart(secret: Managed): Promise<void> {
    let result: VaultReadResult | undefined;
    for (let attempt = 1; result === undefined; attempt++) {
      try {
        result = await this.options.client.read(readPath(secret.spec));
      } catch (err) {
        if (attempt >= START_ATTEMPTS || !transient(err))
          throw startError(err, secret.spec, this.options.client.address);
        await new Promise((resolve) => setTimeout(resolve, START_RETRY_MS[attempt - 1] ?? 1500));
      }
    }
    this.install(secret, result);
  }

  /** Takes a read's values and lease; throws VAULT_SECRET_INVALID if they do not fit the job. */
  private install(secret: Managed, result: VaultReadResult): SecretContent {
    let content: SecretContent;
    try {
      content = secretContent(secret.spec, result.data);
      this.options.validate?.(secret.spec, content);
    } catch (err) {
      // Not usable: give its lease back now rather than leave it to its TTL.
      if (result.leaseId !== '')
        this.pendingRevocations.push(this.options.client.revoke(result.leaseId).catch(() => undefined));
      throw err;
    }
    const now = Date.now();
    secret.retired = secret.retired.filter((lease) => lease.expiresAt > now);
    if (secret.current && secret.current.expiresAt > now) secret.retired.push(secret.current);
    secret.current =
      result.leaseId === ''
        ? undefined
        : {
            id: result.leaseId,
            ttlSec: result.leaseDurationSec,
            expiresAt: now + result.leaseDurationSec * 1000,
            renewable: result.renewable,
            final: !result.renewable,
          };
    secret.kvVersion = content.kvVersion;
    this.options.store.set(secret.spec.name, content.keys);
    return content;
  }

  private schedule(secret: Managed, delayMs?: number): void {
    if (this.stopped) return;
    clearTimeout(secret.timer);
    secret.timer = undefined;
    const lease = secret.current;
    let delay = delayMs;
    let action: () => Promise<void>;
    if (!lease || lease.expiresAt <= Date.now()) {
      // No lease (KV), or one that already ran out: read again.
      if (!lease && delay === undefined) {
        if (secret.spec.version !== undefined || this.options.staticRefreshMs <= 0) return; // a pinned version never changes
        delay = this.options.staticRefreshMs * between(0.9, 1.1);
      }
      action = () => this.rotate(secret, lease ? 'expired' : 'refresh');
    } else if (!lease.final) {
      const remaining = lease.expiresAt - Date.now();
      delay ??= remaining * between(0.5, 0.7);
      action = () => this.renew(secret, lease);
    } else {
      // Cannot be extended: fetch a fresh secret shortly before the end.
      const remaining = lease.expiresAt - Date.now();
      const grace = Math.max(1000, lease.ttlSec * 1000 * between(0.1, 0.2));
      delay ??= Math.max(remaining * 0.5, remaining - grace);
      action = () => this.rotate(secret, 'max-ttl');
    }
    secret.timer = setTimeout(() => void action(), Math.max(0, delay ?? 0));
    // Never what keeps a finished task host alive.
    secret.timer.unref();
  }

  private async renew(secret: Managed, lease: Lease): Promise<void> {
    try {
      const renewal = await this.options.client.renew(lease.id, lease.ttlSec);
      if (this.stopped) return;
      lease.expiresAt = Date.now() + renewal.leaseDurationSec * 1000;
      lease.renewable = renewal.renewable;
      // Vault gave less than asked: the max TTL caps it, no renewal can go further.
      lease.final = !renewal.renewable || renewal.leaseDurationSec < lease.ttlSec;
      secret.failures = 0;
      this.event(
        `Renewed Vault lease of secret "${secret.spec.name}": valid until ${clock(lease.expiresAt)} (${renewal.leaseDurationSec}s)${lease.final ? '; max TTL reached, a fresh secret will be fetched before then' : ''}`,
        secret,
        { vault_event: 'renewed', lease_duration_s: String(renewal.leaseDurationSec), final: String(lease.final) },
      );
      this.schedule(secret);
    } catch (err) {
      if (this.stopped) return;
      if (err instanceof VaultRequestError && (err.kind === 'lease-invalid' || err.kind === 'not-found')) {
        this.event(
          `Vault lease of secret "${secret.spec.name}" can no longer be renewed (${err.message}): fetching a fresh secret`,
          secret,
          { vault_event: 'lease-lost' },
        );
        lease.expiresAt = Date.now();
        await this.rotate(secret, 'lease-lost');
        return;
      }
      this.failed(secret, 'lease renewal', err);
    }
  }

  private async rotate(secret: Managed, reason: 'max-ttl' | 'lease-lost' | 'expired' | 'refresh'): Promise<void> {
    const wasAvailable = this.options.store.isAvailable(secret.spec.name);
    const previousVersion = secret.kvVersion;
    // A KV secret's values as they are now, to tell a change from a re-read of the same.
    const previousKeys = secret.current ? new Map<string, string>() : this.options.store.keysOf(secret.spec.name);
    let result: VaultReadResult;
    try {
      result = await this.options.client.read(readPath(secret.spec));
      if (this.stopped) {
        // Read while stopping: give it straight back.
        if (result.leaseId !== '') await this.options.client.revoke(result.leaseId).catch(() => undefined);
        return;
      }
      const content = this.install(secret, result);
      secret.failures = 0;
      const lease = secret.current;
      if (reason === 'refresh') {
        // A secret without a lease only counts as rotated when it changed.
        if (!sameKeys(previousKeys, content.keys)) {
          const versions =
            previousVersion !== undefined && content.kvVersion !== undefined
              ? ` (KV version ${previousVersion} -> ${content.kvVersion})`
              : '';
          this.event(
            `Secret "${secret.spec.name}" changed in Vault${versions}: the component sees the new value on its next read`,
            secret,
            { vault_event: 'rotated', reason },
          );
        } else if (!wasAvailable) {
          this.event(`Secret "${secret.spec.name}" read again from Vault`, secret, { vault_event: 'recovered' });
        }
      } else {
        const why = {
          'max-ttl': 'its lease reached its max TTL',
          'lease-lost': 'its lease was gone in Vault',
          expired: 'its lease had expired',
        }[reason];
        this.event(
          `Rotated secret "${secret.spec.name}": fresh values from ${secret.spec.path} because ${why}${lease ? `; new lease valid until ${clock(lease.expiresAt)} (${lease.ttlSec}s)` : ''}`,
          secret,
          { vault_event: 'rotated', reason },
        );
      }
      this.schedule(secret);
    } catch (err) {
      if (this.stopped) return;
      this.failed(secret, 'read', err);
    }
  }

  /** One failed renewal or read: an event, a retry with backoff, and expiry if the lease runs out meanwhile. */
  private failed(secret: Managed, what: string, err: unknown): void {
    secret.failures++;
    const now = Date.now();
    const lease = secret.current;
    let delay = Math.min(this.retry.maxMs, this.retry.initialMs * 2 ** (secret.failures - 1)) * between(0.8, 1.2);
    const message = err instanceof DriverError || err instanceof VaultRequestError ? err.message : describeError(err);
    const code = vaultFailureCode(err);
    if (lease && lease.expiresAt > now) {
      // Try again while the current value is still good.
      delay = Math.min(delay, Math.max(250, (lease.expiresAt - now) / 2));
      this.event(
        `Vault ${what} for secret "${secret.spec.name}" failed (attempt ${secret.failures}): ${message}; retrying in ${seconds(delay)}; the current value stays valid until ${clock(lease.expiresAt)}`,
        secret,
        { vault_event: 'renewal-failed', attempt: String(secret.failures), code },
      );
      this.schedule(secret, delay);
      return;
    }
    if (!lease) {
      // A KV secret: its value does not expire; keep it and say so once.
      if (secret.failures === 1 || secret.failures % EXPIRED_EVENT_EVERY === 0) {
        this.event(
          `Vault ${what} for secret "${secret.spec.name}" failed (attempt ${secret.failures}): ${message}; keeping the value read before, retrying in ${seconds(delay)}`,
          secret,
          {
            vault_event: 'refresh-failed',
            attempt: String(secret.failures),
            code,
          },
        );
      }
      this.schedule(secret, delay);
      return;
    }
    const reason = `secret "${secret.spec.name}" expired at ${clock(lease.expiresAt)} and could not be read again: ${message}`;
    const newlyExpired = this.options.store.isAvailable(secret.spec.name);
    this.options.store.markUnavailable(secret.spec.name, reason);
    if (newlyExpired || secret.failures % EXPIRED_EVENT_EVERY === 0) {
      this.event(
        `Secret "${secret.spec.name}" expired at ${clock(lease.expiresAt)} and Vault could not give a fresh one (attempt ${secret.failures}: ${message}); its keys answer an error until it does; retrying in ${seconds(delay)}`,
        secret,
        {
          vault_event: 'expired',
          attempt: String(secret.failures),
          code,
        },
      );
    }
    this.schedule(secret, delay);
  }

  /**
   * Stops renewing and revokes every lease still alive (current and retired),
   * in parallel, giving up after `timeoutMs`: what is not revoked then
   * expires by its TTL.
   */
  async revokeAll(timeoutMs: number, options: { quiet?: boolean } = {}): Promise<{ revoked: number; failed: number }> {
    this.stopped = true;
    const now = Date.now();
    const leases: Array<{ name: string; lease: Lease }> = [];
    for (const secret of this.managed) {
      clearTimeout(secret.timer);
      for (const lease of [...secret.retired, ...(secret.current ? [secret.current] : [])]) {
        if (lease.expiresAt > now) leases.push({ name: secret.spec.name, lease });
      }
      secret.retired = [];
    }
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), timeoutMs);
    });
    const pending = Promise.race([Promise.all(this.pendingRevocations), deadline]);
    if (leases.length === 0) {
      await pending;
      clearTimeout(timer);
      return { revoked: 0, failed: 0 };
    }
    const outcomes = await Promise.all(
      leases.map(({ lease }) =>
        Promise.race([
          this.options.client.revoke(lease.id).then(
            () => 'revoked' as const,
            (err: unknown) => ({ message: describeError(err), code: vaultFailureCode(err) }),
          ),
          deadline,
        ]),
      ),
    );
    await pending;
    clearTimeout(timer);
    const revoked = leases.filter((_, i) => outcomes[i] === 'revoked');
    const failures = leases
      .map((entry, i) => ({ ...entry, outcome: outcomes[i] }))
      .filter((entry) => entry.outcome !== 'revoked');
    if (!options.quiet) {
      if (revoked.length > 0) {
        const names = [...new Set(revoked.map((entry) => entry.name))].join(', ');
        this.options.onEvent(
          `Revoked ${revoked.length} Vault lease${revoked.length === 1 ? '' : 's'} at stop (secrets: ${names})`,
          {
            vault_event: 'revoked',
            revoked: String(revoked.length),
          },
        );
      }
      for (const failure of failures) {
        // Not revoked: Vault's error, or no answer before the deadline.
        const refused = typeof failure.outcome === 'object' ? failure.outcome : undefined;
        const why = refused?.message ?? `no answer within ${timeoutMs} ms`;
        this.options.onEvent(
          `Could not revoke the Vault lease of secret "${failure.name}" at stop (${why}); it expires by its TTL at ${clock(failure.lease.expiresAt)}`,
          {
            code: refused?.code ?? 'VAULT_UNREACHABLE',
            vault_event: 'revoke-failed',
            secret: failure.name,
          },
        );
      }
    }
    return { revoked: revoked.length, failed: failures.length };
  }

  /** Whether any Vault request is still to come: a lease to renew or revoke, a secret to re-read. */
  get needsVault(): boolean {
    if (this.stopped) return false;
    return this.managed.some((secret) => secret.timer !== undefined || secret.current || secret.retired.length > 0);
  }

  /** Stops renewing without revoking (the process is going away by other means). */
  stop(): void {
    this.stopped = true;
    for (const secret of this.managed) clearTimeout(secret.timer);
  }

  private event(message: string, secret: Managed, annotations: Record<string, string>): void {
    this.options.onEvent(message, { secret: secret.spec.name, ...annotations });
  }
}

function sameKeys(a: ReadonlyMap<string, string>, b: ReadonlyMap<string, string>): boolean {
  if (a.size !== b.size) return false;
  for (const [key, value] of a) if (b.get(key) !== value) return false;
  return true;
}
