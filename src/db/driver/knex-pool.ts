import type { Knex } from '@mikro-orm/postgresql';
import type { PooledClient } from './pg-client';

/*
 * knex's connection pool, as read from knex 3.2.10 (lib/client.js), the version
 * @mikro-orm/knex 6.6.16 brings. knex types its client as `any`: these are the only parts we use.
 * Contract: driver-contract.int.test.ts; how to lift the pin: docs/dependencies.md#knex.
 */

/** A pooled connection knex will destroy instead of reusing (`connectionIsDisposed`). */
type DisposablePooledClient = PooledClient & { __knex__disposed?: unknown };

interface KnexClient {
  acquireConnection(): Promise<DisposablePooledClient>;
  releaseConnection(client: DisposablePooledClient): Promise<unknown>;
  /** tarn's pool, created with the first connection. */
  pool?: TarnPool;
}

/** The counters of tarn 3.x (knex's pool) worth watching. */
interface TarnPool {
  numUsed(): number;
  numFree(): number;
  numPendingAcquires(): number;
  numPendingCreates(): number;
}

const clientOf = (knex: Knex): KnexClient => knex.client as KnexClient;

/** A connection of the pool, taken as knex's own query runner takes one (timeout included). */
export function acquirePooledClient(knex: Knex): Promise<PooledClient> {
  return clientOf(knex).acquireConnection();
}

/**
 * Gives `client` back to the pool. With `discardReason`, the pool destroys it (its validate
 * step checks `__knex__disposed` and logs the reason as a warning) and opens another when needed.
 */
export function releasePooledClient(
  knex: Knex,
  client: PooledClient,
  discardReason?: string,
): Promise<unknown> {
  if (discardReason !== undefined) {
    (client as DisposablePooledClient).__knex__disposed = discardReason;
  }
  // Returned as is, not awaited here: one promise less per statement on the read path.
  return clientOf(knex).releaseConnection(client);
}

export interface PoolCounters {
  used: number;
  idle: number;
  pendingAcquires: number;
  pendingCreates: number;
}

/** What the pool is doing now (all zero before its first connection: there is no pool yet). */
export function poolCounters(knex: Knex): PoolCounters {
  const pool = clientOf(knex).pool;
  return {
    used: pool?.numUsed() ?? 0,
    idle: pool?.numFree() ?? 0,
    pendingAcquires: pool?.numPendingAcquires() ?? 0,
    pendingCreates: pool?.numPendingCreates() ?? 0,
  };
}
