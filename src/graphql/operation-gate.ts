import type { ClientDeparture } from '../shared/client-departure';
import { ServiceUnavailableError } from '../shared/errors';

/**
 * The estimated cost (query-cost.ts) up to which a compiled query runs in the light lane
 * (GRAPHQL_MAX_CONCURRENT_LIGHT_OPERATIONS): `product(id) { …5 fields… category { id name } }`
 * is 9, a page of 5 ids 16; a page of 50 products is over 300. Such an operation is one or two
 * short statements and a small answer: many at once neither interleave deep resolver trees nor
 * hold much memory, and with only 6 at once the event loop idles while they all wait on
 * PostgreSQL (W1 at 50 connections: 11 % more requests per second with 50 at once than with 6,
 * docs/performance.md#operation-gate).
 */
export const LIGHT_OPERATION_COST = 20;

/**
 * Admission control: at most `limit` GraphQL operations run at once, the others wait in arrival
 * order for at most `maxWaitMs`, then get SERVICE_UNAVAILABLE (503).
 *
 * Why: the process has one CPU and a pool of a few connections. Letting 50 deep queries run
 * interleaved makes every one of them slow (each waits behind everyone's resolvers), keeps all
 * their response trees alive at once (old-generation garbage collection), and leaves the unlucky
 * ones waiting seconds; first come, first served keeps the tail short and the heap small. A
 * library like p-limit has no deadline for a waiter and no way to leave the queue when the
 * client hangs up, which are the two things this needs.
 */
export class OperationGate {
  private running = 0;
  private readonly queue = new Set<Waiter>(); // a Set keeps insertion order: FIFO
  private whenIdle: (() => void)[] = [];

  constructor(
    readonly limit: number,
    private readonly maxWaitMs: number,
  ) {}

  get waiting(): number {
    return this.queue.size;
  }

  get active(): number {
    return this.running;
  }

  /**
   * Settles once no operation runs or waits. Shutdown waits for it before closing the pool: an
   * operation whose client has gone no longer holds an HTTP connection open, but it still runs
   * (a write commits), and a pool closed under it would fail it half-way.
   */
  idle(): Promise<void> {
    if (this.running === 0 && this.queue.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.whenIdle.push(resolve));
  }

  /**
   * Resolves with a release function once the operation may run. Rejects when the wait passes
   * `maxWaitMs`, or with the departure's reason when the client leaves first.
   */
  enter(departure?: ClientDeparture): Promise<() => void> {
    if (departure?.reason) return Promise.reject(departure.reason);
    if (this.running < this.limit && this.queue.size === 0) {
      this.running += 1;
      return Promise.resolve(this.releaser());
    }
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        admit: () => {
          this.running += 1; // before leaving the queue, which may otherwise look idle
          leave();
          resolve(this.releaser());
        },
      };
      const stopWatching = departure?.onLeave((reason) => {
        leave();
        reject(reason);
      });
      const timer = setTimeout(() => {
        leave();
        reject(
          new ServiceUnavailableError(
            `The server is busy (${this.limit} operations running, more waiting); retry shortly.`,
            true,
          ),
        );
      }, this.maxWaitMs);
      const leave = () => {
        clearTimeout(timer);
        stopWatching?.();
        this.queue.delete(waiter);
        this.settleIfIdle();
      };
      this.queue.add(waiter);
    });
  }

  private releaser(): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.running -= 1;
      const next = this.queue.values().next();
      if (!next.done) next.value.admit();
      else this.settleIfIdle();
    };
  }

  private settleIfIdle(): void {
    if (this.running > 0 || this.queue.size > 0 || this.whenIdle.length === 0) return;
    const waiting = this.whenIdle;
    this.whenIdle = [];
    for (const resolve of waiting) resolve();
  }
}

interface Waiter {
  admit(): void;
}
