import {
  DriverException,
  type EntityManager,
  type Knex,
  type MikroORM,
} from '@mikro-orm/postgresql';
import { LRUCache } from 'lru-cache';
import type pg from 'pg';
import {
  acquirePooledClient,
  announceStatement,
  forgetPreparedStatement,
  releasePooledClient,
  sendCancelRequest,
  statementFailed,
  statementSucceeded,
  type PooledClient,
} from '../db/driver';
import { SqlSpend } from '../observability/sql-spend';
import { intArrayParam } from './batching';
import type { ClientDeparture } from './client-departure';

/** The request a session serves, once it has a way to tell that its client went away. */
const departures = new WeakMap<EntityManager, ClientDeparture>();

/** From now on, reads through `em` stop when the client leaves (see selectRows). */
export function cancelReadsOnDeparture(em: EntityManager, departure: ClientDeparture): void {
  departures.set(em, departure);
}

/** PostgreSQL's query_canceled: what a cancel request makes of a running statement. */
const QUERY_CANCELED = '57014';

/**
 * A statement of the read path, returning plain rows: the one way loaders and lists read.
 *
 * It runs on a connection of the engine's pool, like everything else (so it is timed and counted
 * like any other), and a driver error becomes MikroORM's exception for it, as `em.find` would
 * throw — which is what tells "the database is unavailable" (SERVICE_UNAVAILABLE) from a bug.
 *
 * When the session's client goes away (cancelReadsOnDeparture), nothing more starts, and a
 * statement still running is cancelled with PostgreSQL's cancel request, so its connection is
 * back in the pool at once instead of when a slow query would have finished. That is why the
 * connection is taken explicitly: the cancel needs the backend it runs on.
 */
export async function selectRows<T>(
  em: EntityManager,
  sql: string | Knex.QueryBuilder | FixedStatement,
  params: readonly unknown[] = [],
): Promise<T[]> {
  const departure = departures.get(em);
  departure?.throwIfGone();
  const connection = em.getConnection();
  const knex = connection.getKnex();
  const query = driverQuery(sql, params, connection);

  let client: PooledClient;
  try {
    await connection.ensureConnection();
    client = await acquirePooledClient(knex);
  } catch (error) {
    // Its client gone, a read that found no connection (the pool closing at shutdown, say)
    // ends as what it is: a request nobody waits for, not a database failure.
    if (departure?.reason) throw departure.reason;
    // A replica that went down since its last health check: the read goes to the primary.
    const fallback = fallbacks.get(em);
    if (fallback) return onPrimary(fallback, (primary) => selectRows<T>(primary, sql, params));
    throw em.getDriver().convertException(error as Error);
  }
  let cancelSent = false;
  const cancel = () => {
    cancelSent = true;
    sendCancelRequest(client);
  };
  let cancelled = false;
  let retryOn: ReplicaFallback | undefined;
  let stopWatching: (() => void) | undefined;
  try {
    // The client may have left while this waited for a connection.
    departure?.throwIfGone();
    stopWatching = departure?.onLeave(cancel);
    // Announced as knex announces its own, so the statement metrics see it too.
    const announced =
      typeof query === 'string'
        ? announceStatement(knex, query, [])
        : announceStatement(knex, query.text, query.values ?? []);
    const started = process.hrtime.bigint();
    const booked = () => SqlSpend.of(em)?.record(Number(process.hrtime.bigint() - started) / 1e6);
    try {
      // Straight to the driver, past knex's query runner
      // (docs/performance.md#straight-to-the-driver).
      const rows = await queryRows<T>(client, query);
      booked();
      statementSucceeded(knex, announced, rows);
      return rows;
    } catch (error) {
      booked();
      statementFailed(knex, announced, error);
      cancelled = (error as { code?: unknown }).code === QUERY_CANCELED;
      throw error;
    }
  } catch (error) {
    if (departure?.reason && (cancelled || error === departure.reason)) throw departure.reason;
    retryOn = fallbackForFailedRead(em, error);
    if (!retryOn) throw em.getDriver().convertException(error as Error);
  } finally {
    stopWatching?.();
    // A cancel may still be on its way after the statement ended (done, or cancelled by the
    // statement timeout at the same moment): it must not reach the next statement on this
    // connection, so the pool discards the connection instead.
    await releasePooledClient(knex, client, cancelSent ? DISCARDED_AFTER_CANCEL : undefined);
  }
  // Failed on a replica (a recovery conflict, say): once more, on the primary.
  return onPrimary(retryOn, (primary) => selectRows<T>(primary, sql, params));
}

/** Where a request's replica session sends a read that failed there. */
export interface ReplicaFallback {
  /** The request's session on the primary (made on first need). */
  primary(): EntityManager;
  /** After a read retried there succeeded: the response now shows the primary's data. */
  fellBack?(primary: EntityManager): Promise<void>;
}

/** Sessions on a replica, and where their failed reads go. */
const fallbacks = new WeakMap<EntityManager, ReplicaFallback>();

/** The ORM's reads, retried like selectRows' (docs/operations.md#replicas-and-read-your-writes). */
const ORM_READS = ['find', 'findOne', 'findOneOrFail', 'findAll', 'count', 'findAndCount'] as const;

/**
 * From now on, a read through `replica` that fails there — cancelled by a recovery conflict
 * (the standby replaying what its snapshot still needed), no connection, the server gone — is
 * run again on the primary, once: the replica's trouble, not the request's. Both `selectRows`
 * and the ORM's own reads (`em.find`, `em.count`…), so that no resolver has to know.
 */
export function retryReplicaReadsOn(replica: EntityManager, fallback: ReplicaFallback): void {
  fallbacks.set(replica, fallback);
  const methods = replica as unknown as Record<string, (...args: unknown[]) => Promise<unknown>>;
  for (const name of ORM_READS) {
    const read = methods[name]!;
    // On the instance: the replica's session only; every other fork keeps MikroORM's methods.
    methods[name] = async (...args) => {
      try {
        return await read.apply(replica, args);
      } catch (error) {
        const departure = departures.get(replica);
        if (departure?.reason || !(error instanceof DriverException)) throw error;
        const retryOn = fallbackForFailedRead(replica, error);
        if (!retryOn) throw error;
        return onPrimary(retryOn, (primary) =>
          (primary as unknown as typeof methods)[name]!(...args),
        );
      }
    };
  }
}

/** A replica read, run again on the primary; what it read there is reported before returning. */
async function onPrimary<T>(
  fallback: ReplicaFallback,
  read: (primary: EntityManager) => Promise<T>,
): Promise<T> {
  const primary = fallback.primary();
  const result = await read(primary);
  await fallback.fellBack?.(primary);
  return result;
}

/**
 * Where a read that failed on a replica runs again (undefined when `em` is not a replica's): any
 * failure there — a recovery conflict (40001), the replica shutting down, its connection lost —
 * but a statement timeout (57014), which the primary would hit too.
 */
function fallbackForFailedRead(em: EntityManager, error: unknown): ReplicaFallback | undefined {
  if ((error as { code?: unknown }).code === QUERY_CANCELED) return undefined;
  return fallbacks.get(em);
}

/** Why a connection that carried a cancel leaves the pool (knex logs it when it drops it). */
export const DISCARDED_AFTER_CANCEL =
  'discarded: a cancel sent for its last statement may still arrive';

/** PostgreSQL's feature_not_supported, which "cached plan must not change result type" is. */
const FEATURE_NOT_SUPPORTED = '0A000';

async function queryRows<T>(client: PooledClient, query: string | pg.QueryConfig): Promise<T[]> {
  try {
    return (await client.query<T & pg.QueryResultRow>(query)).rows;
  } catch (error) {
    const { code, message } = error as { code?: unknown; message?: unknown };
    const name = typeof query === 'string' ? undefined : query.name;
    if (!name || code !== FEATURE_NOT_SUPPORTED || !String(message).includes('cached plan')) {
      throw error;
    }
    // A migration changed what the statement returns since this connection prepared it: the
    // old preparation goes, and the statement is prepared again, once, on the same connection.
    await client.query(`deallocate "${name}"`);
    forgetPreparedStatement(client, name);
    return (await client.query<T & pg.QueryResultRow>(query)).rows;
  }
}

/**
 * A read whose text never changes, only its values (`$1`, `$2`…): PostgreSQL parses and plans
 * it once per pool connection, as a named prepared statement
 * (docs/performance.md#prepared-statements). Declare each once, at module level: it stays
 * prepared on every connection for the connection's life, so the set of them must be fixed (a
 * text built from a request's arguments belongs in a plain string).
 */
export class FixedStatement {
  private static readonly declared = new Set<string>();

  constructor(
    readonly name: string,
    readonly text: string,
  ) {
    if (FixedStatement.declared.has(name)) {
      throw new Error(`FixedStatement "${name}" is declared twice`);
    }
    FixedStatement.declared.add(name);
  }
}

/**
 * Rows by id, as a pair of FixedStatements: `= $1` for a batch of one id, `= any($1::int[])` for
 * more. PostgreSQL's generic plan for `= any($1)` guesses ten rows, so it never looks as cheap as
 * a one-row custom plan and the batch form is planned again at every execution: 0.18 ms of its
 * CPU for a product by id, against 0.07 ms for `= $1`, which it plans once per connection
 * (docs/performance.md#postgresqls-cpu-per-request). A lookup by id is most often a batch of one.
 */
export class ByIdStatement {
  private readonly one: FixedStatement;
  private readonly many: FixedStatement;

  /** `select(condition)` is the statement with its id test: `… where p.id ${condition}`. */
  constructor(name: string, select: (condition: string) => string) {
    this.one = new FixedStatement(`${name}_one`, select('= $1'));
    this.many = new FixedStatement(name, select('= any($1::int[])'));
  }

  /** The rows of these ids, in no particular order (a missing id has none). */
  read<T>(em: EntityManager, ids: readonly number[]): Promise<T[]> {
    return ids.length === 1
      ? selectRows<T>(em, this.one, [Math.trunc(ids[0]!)])
      : selectRows<T>(em, this.many, [intArrayParam(ids)]);
  }
}

/** A statement's text with its `?` placeholders, and their values. */
export interface RenderedStatement {
  sql: string;
  bindings: readonly unknown[];
}

/**
 * Statements as the query builder rendered them, remembered by a key that decides the text and
 * the values entirely (a list's filter, order, cursor and size), since the same listing is asked
 * again and again (docs/performance.md#rendered-statements). Text only, never rows: nothing read
 * is kept, so nothing can be served stale. Bounded by an LRU in bytes (key, text and string
 * values at two bytes a character, the most V8 takes), because a client chooses how long its
 * filter strings are: a statement larger than `maxEntryBytes` is rendered every time instead of
 * being kept.
 */
export class RenderedStatements {
  private readonly cache: LRUCache<string, RenderedStatement>;

  constructor(maxBytes = 4 * 1024 * 1024, maxEntryBytes = Math.floor(maxBytes / 50)) {
    this.cache = new LRUCache({
      maxSize: maxBytes,
      maxEntrySize: maxEntryBytes,
      sizeCalculation: (statement, key) => 2 * (key.length + renderedLength(statement)),
    });
  }

  get(key: string, render: () => RenderedStatement): RenderedStatement {
    let statement = this.cache.get(key);
    if (!statement) {
      const { sql, bindings } = render(); // knex's Sql carries more than the two
      statement = { sql, bindings };
      this.cache.set(key, statement);
    }
    return statement;
  }
}

/** A rendered statement's size: its text, and its values (a filter's text is a value). */
function renderedLength({ sql, bindings }: RenderedStatement): number {
  return bindings.reduce<number>(
    (length, value) => length + (typeof value === 'string' ? value.length : 8),
    sql.length,
  );
}

/** Connections of engines told not to name their statements (DB_PREPARED_STATEMENTS=false). */
const unpreparedConnections = new WeakSet<object>();

/**
 * The engine's FixedStatements go out unnamed (parsed and planned every time): for a pooler
 * that cannot keep a named statement across the server connections it hands out (PgBouncer
 * before 1.21, or `max_prepared_statements = 0`, in transaction mode).
 */
export function sendStatementsUnprepared(orm: MikroORM): void {
  unpreparedConnections.add(orm.em.getConnection());
}

type Connection = ReturnType<EntityManager['getConnection']>;

/** What the driver is given: a FixedStatement with its values apart, anything else rendered. */
function driverQuery(
  sql: string | Knex.QueryBuilder | FixedStatement,
  params: readonly unknown[],
  connection: Connection,
): string | pg.QueryConfig {
  if (sql instanceof FixedStatement) {
    const name = unpreparedConnections.has(connection) ? undefined : sql.name;
    return { name, text: sql.text, values: [...params] };
  }
  const statement = typeof sql === 'string' ? { sql, bindings: params } : sql.toSQL();
  // MikroORM's own rendering, values inlined, as every statement of the ORM is sent: the
  // simple protocol, one message, for texts that vary from one request to the next.
  return connection
    .getPlatform()
    .formatQuery(statement.sql, [...(statement.bindings as unknown[])]);
}
