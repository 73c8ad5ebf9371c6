import { KeyvAdapter } from '@apollo/utils.keyvadapter';
import type { KeyValueCache, KeyValueCacheSetOptions } from '@apollo/utils.keyvaluecache';
import KeyvRedis, { createClient, Keyv } from '@keyv/redis';
import type { AppLogger } from '../logger';

/** How often, at most, an unreachable store is logged while it stays unreachable. */
const REPORT_EVERY_MS = 10_000;

export interface RedisPersistedQueryOptions {
  url: string;
  /** Longest wait for Redis, per request: past it, the lookup is a miss. */
  timeoutMs: number;
  logger: Pick<AppLogger, 'warn' | 'info'>;
}

/**
 * Automatic persisted queries' texts in Redis, shared by every instance: a hash registered on
 * one is answered by all. Apollo's documented adapter (KeyvAdapter over Keyv and @keyv/redis),
 * with what it lacks for a store that may be down: every call is bounded by `timeoutMs`, and a
 * failure is a miss (the client sends the text again: the protocol's own fallback), never an
 * error or a wait. Why: docs/operations.md#many-instances.
 */
export class RedisPersistedQueryCache implements KeyValueCache<string> {
  /** Nothing is kept in this process's heap (graphql_cache_bytes shows 0). */
  readonly bytes = 0;
  private readonly client: ReturnType<typeof createClient>;
  private readonly adapter: KeyvAdapter<string>;
  private lastReport = 0;
  private unreported = 0;
  private down = false;

  constructor(private readonly options: RedisPersistedQueryOptions) {
    this.client = createClient({
      url: options.url,
      // While disconnected a command fails at once instead of queueing until Redis is back.
      disableOfflineQueue: true,
      socket: {
        connectTimeout: Math.max(1_000, options.timeoutMs),
        // Reconnects in the background for ever (a restarted Redis is picked up), backing off.
        reconnectStrategy: (retries) => Math.min(100 * 2 ** retries, 2_000),
      },
    });
    this.client.on('error', (error: unknown) => this.unavailable(error));
    this.client.on('ready', () => {
      if (this.down) options.logger.info('APQ store (Redis) answers again');
      this.down = false;
    });
    const store = new KeyvRedis<string>(this.client, {
      throwOnConnectError: true,
      throwOnErrors: true,
    });
    const keyv = new Keyv<string>({ store, useKeyPrefix: false, throwOnErrors: true });
    keyv.namespace = undefined; // keys are Apollo's own (`apq:<sha256>`), not `keyv::apq:…`
    // Reported once, by `unavailable`, from the failed call: Keyv would emit each error too.
    store.on('error', () => undefined);
    keyv.on('error', () => undefined);
    this.adapter = new KeyvAdapter<string>(keyv);
    this.client.connect().catch((error: unknown) => this.unavailable(error));
  }

  async get(key: string): Promise<string | undefined> {
    try {
      return await this.bounded(this.adapter.get(key));
    } catch (error) {
      this.unavailable(error);
      return undefined;
    }
  }

  async set(key: string, value: string, options?: KeyValueCacheSetOptions): Promise<void> {
    try {
      await this.bounded(this.adapter.set(key, value, options));
    } catch (error) {
      this.unavailable(error); // not kept: the client registers the text again when asked
    }
  }

  async delete(key: string): Promise<boolean> {
    try {
      return (await this.bounded(this.adapter.delete(key))) ?? false;
    } catch (error) {
      this.unavailable(error);
      return false;
    }
  }

  /** At shutdown: the connection goes, pending calls fail (as misses). */
  close(): Promise<void> {
    if (this.client.isOpen) this.client.destroy();
    return Promise.resolve();
  }

  private async bounded<T>(call: Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`no answer within ${this.options.timeoutMs} ms`)),
        this.options.timeoutMs,
      );
    });
    try {
      return await Promise.race([call, timeout]);
    } finally {
      clearTimeout(timer);
      call.catch(() => undefined); // a late failure of a call given up on is not unhandled
    }
  }

  private unavailable(error: unknown): void {
    this.down = true;
    const now = Date.now();
    if (now - this.lastReport < REPORT_EVERY_MS) {
      this.unreported += 1;
      return;
    }
    this.options.logger.warn(
      { err: error, alsoFailedSinceLastReport: this.unreported },
      'APQ store (Redis) unavailable: persisted queries are misses until it answers',
    );
    this.lastReport = now;
    this.unreported = 0;
  }
}
