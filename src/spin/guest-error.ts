// How a host function answers `err(e)` of a `result<_, e>`: jco's glue
// lowers the `payload` of what the function throws (getErrorPayload), so
// the guest sees an ordinary error value and the host stays unaffected.

/** A thrown value whose `payload` reaches the guest as the result's error. */
export class GuestError extends Error {
  readonly payload: unknown;
  constructor(payload: unknown) {
    // The variant's case only: a payload may hold host objects (a resource).
    const tag = (payload as { tag?: unknown } | undefined)?.tag;
    super(`error answered to the guest: ${typeof tag === 'string' ? tag : 'error'}`);
    this.name = 'GuestError';
    this.payload = payload;
  }
}

export function guestError(payload: unknown): GuestError {
  return new GuestError(payload);
}
