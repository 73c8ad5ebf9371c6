import { ClientClosedRequestError } from './errors';

/**
 * Whether a request's client went away before its answer was complete, and what stops then:
 * its wait for an operation slot ends and its running SQL is cancelled (see sql.ts).
 *
 * It does for the request's own code what an AbortSignal would, without making one per request
 * (docs/performance.md#client-departure); a standard signal is still made on first use, for
 * code that takes one (`signal`).
 */
export class ClientDeparture {
  /** Why the request's work stops: set once the client has gone. */
  reason: Error | undefined;
  private listeners: Set<(reason: Error) => void> | undefined;
  private controller: AbortController | undefined;

  throwIfGone(): void {
    if (this.reason) throw this.reason;
  }

  /**
   * Calls `listener` once if the client leaves; the function returned stops watching. As with
   * an AbortSignal's listeners, one added after the client has gone is not called: check
   * `reason` (or `throwIfGone()`) first.
   */
  onLeave(listener: (reason: Error) => void): () => void {
    const listeners = (this.listeners ??= new Set());
    listeners.add(listener);
    return () => listeners.delete(listener);
  }

  /** A standard AbortSignal that aborts when the client leaves (with `reason`). */
  get signal(): AbortSignal {
    if (!this.controller) {
      this.controller = new AbortController();
      if (this.reason) this.controller.abort(this.reason);
    }
    return this.controller.signal;
  }

  /** The client has gone: everything watching is told, once. */
  leave(reason: Error = new ClientClosedRequestError()): void {
    if (this.reason) return;
    this.reason = reason;
    this.controller?.abort(reason);
    const listeners = this.listeners;
    this.listeners = undefined;
    listeners?.forEach((listener) => listener(reason));
  }
}
