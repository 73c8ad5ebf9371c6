import { MikroORM } from '@mikro-orm/postgresql';
import pg from 'pg';
import type { AppLogger } from '../logger';
import { SqlSpendLogger } from '../observability/sql-spend';
import { DISCARDED_AFTER_CANCEL, sendStatementsUnprepared } from '../shared/sql';
import { acquirePooledClient, cancelKeyOf, releasePooledClient } from './driver';
import type { Config } from '../config';
import { ormOptions } from './orm-options';
import { ConsistencyTokens, consistencySecret } from './replicas/consistency-token';
import { attachTargets, DatabaseTargets } from './replicas/targets';
import { seedDemoCatalog } from './seed';

/** Any constant, the same in every instance: serialises migrate-and-seed across instances. */
export const MIGRATION_LOCK = 7_245_810_013;

/**
 * The engine: the one MikroORM instance of the process, and with it the one connection pool.
 * Created at boot; every request forks its EntityManager from it (src/graphql/context.ts).
 */
export async function initOrm(url: string, config: Config, logger: AppLogger): Promise<MikroORM> {
  const ormLogger = logger.child({ component: 'mikro-orm' });
  const knexLogger = logger.child({ component: 'knex' });
  const options = ormOptions(url, config);
  const orm = await MikroORM.init({
    ...options,
    // With the timeout on the role, the pool's first session waits for prepareDatabase to set
    // it: PgBouncer would keep a session opened before, without it, for an hour.
    connect: config.DB_STATEMENT_TIMEOUT_ON !== 'role',
    logger: (message) => ormLogger.info(message),
    // Books every statement to the SQL spend of the request whose session ran it.
    loggerFactory: (loggerOptions) => new SqlSpendLogger(loggerOptions),
    driverOptions: {
      ...options.driverOptions,
      // knex otherwise prints pool and connection trouble with console.log.
      log: {
        // A connection dropped after a cancel (every client that hangs up mid-read) is routine.
        warn: (message: unknown) =>
          String(message).includes(DISCARDED_AFTER_CANCEL)
            ? knexLogger.debug({ message }, 'knex: connection discarded after a cancel')
            : knexLogger.warn({ message }, 'knex warning'),
        error: (message: unknown) => knexLogger.error({ message }, 'knex error'),
        deprecate: (message: unknown) => knexLogger.warn({ message }, 'knex deprecation'),
        debug: (message: unknown) => knexLogger.debug({ message }, 'knex debug'),
      },
    },
  });
  if (!config.DB_PREPARED_STATEMENTS) sendStatementsUnprepared(orm);
  if (config.DATABASE_REPLICA_URLS.length) await attachReplicas(orm, config, logger);
  return orm;
}

/**
 * DATABASE_REPLICA_URLS: an engine (and pool) per replica, carried by the primary's
 * (src/db/replicas/targets.ts), closed with it.
 */
async function attachReplicas(primary: MikroORM, config: Config, logger: AppLogger) {
  const secret = consistencySecret(config);
  if (!secret) throw new Error('CONSISTENCY_TOKEN_SECRET: needed to sign consistency tokens');
  const replicas = await Promise.all(
    config.DATABASE_REPLICA_URLS.map((url) =>
      initOrm(url, { ...config, DATABASE_REPLICA_URLS: [] }, logger),
    ),
  );
  const targets = new DatabaseTargets(primary, replicas, {
    tokens: new ConsistencyTokens(secret, config.CONSISTENCY_TOKEN_TTL_S),
    waitMs: config.CONSISTENCY_WAIT_MS,
    pollMs: 10,
    maxLagMs: config.DATABASE_REPLICA_MAX_LAG_MS,
    checkEveryMs: config.DATABASE_REPLICA_CHECK_MS,
  });
  attachTargets(primary, targets);
  targets.startHealthChecks();
  // Whoever closes the engine (server shutdown, tests) closes the replicas' pools with it.
  const close = primary.close.bind(primary);
  primary.close = async (force?: boolean) => {
    await targets.close();
    return close(force);
  };
}

/**
 * Applies pending migrations and, when asked and the catalog is empty, seeds the demo data.
 * Several instances may start at once: a PostgreSQL advisory lock, held on a connection of its
 * own (outside the pool, which the migrator needs), lets one of them do it while the rest wait.
 * `lockUrl` must reach PostgreSQL directly (not a transaction-pooling PgBouncer).
 */
export async function prepareDatabase(
  orm: MikroORM,
  url: string,
  options: {
    seed: boolean;
    logger: AppLogger;
    /** The pool's settings to check or apply behind a pooler (docs/scaling.md#pgbouncer). */
    pool?: Pick<
      Config,
      'DB_STATEMENT_TIMEOUT_MS' | 'DB_STATEMENT_TIMEOUT_ON' | 'DB_PREPARED_STATEMENTS'
    >;
  },
): Promise<void> {
  const lock = new pg.Client({
    connectionString: url,
    application_name: 'catalog-graphql:migrate',
  });
  // Without a listener, the session dying while it waits (a database restart) would be an
  // unhandled 'error' event, and the process would crash instead of retrying the start-up.
  lock.on('error', (error) => options.logger.warn({ err: error }, 'migration lock session lost'));
  await lock.connect();
  try {
    // Waiting while another instance migrates is no runaway statement: not under a timeout
    // set on the role (DB_STATEMENT_TIMEOUT_ON=role).
    await lock.query('set statement_timeout = 0');
    await lock.query('select pg_advisory_lock($1)', [MIGRATION_LOCK]);
    const pool = options.pool;
    if (pool?.DB_STATEMENT_TIMEOUT_ON === 'role') {
      await statementTimeoutOnRole(orm, lock, pool.DB_STATEMENT_TIMEOUT_MS, options.logger);
    }
    if (pool?.DB_PREPARED_STATEMENTS) await warnOfAPooler(orm, options.logger);
    const applied = await orm.getMigrator().up();
    if (applied.length) {
      options.logger.info({ migrations: applied.map((m) => m.name) }, 'migrations applied');
    }
    if (options.seed && (await seedDemoCatalog(orm))) {
      options.logger.info('demo catalog seeded');
    }
  } catch (error) {
    throw explainPoolerRefusal(error);
  } finally {
    await lock.end().catch(() => undefined); // closing the session releases the lock
  }
}

/**
 * PgBouncer's answer to a startup parameter it does not pass on: a database that never
 * becomes reachable, unless the start-up says what to change (it is not retried).
 */
function explainPoolerRefusal(error: unknown): unknown {
  const message = String((error as { message?: unknown }).message);
  if (!message.includes('unsupported startup parameter: statement_timeout')) return error;
  return new Error(
    'DATABASE_URL goes through a pooler (PgBouncer) that refuses statement_timeout at connect: ' +
      'set DB_STATEMENT_TIMEOUT_ON=role (docs/scaling.md#statement-timeout)',
    { cause: error },
  );
}

/**
 * Behind PgBouncer the timeout cannot travel with the connection, and reads run outside any
 * transaction (no SET LOCAL without an extra round trip each): the server applies it to every
 * new session of this role in this database (docs/scaling.md#statement-timeout). Set on the
 * direct session before the pool's first connection, so no pooled session predates it.
 */
async function statementTimeoutOnRole(
  orm: MikroORM,
  direct: pg.Client,
  timeoutMs: number,
  logger: AppLogger,
): Promise<void> {
  await direct.query(
    `do $$ begin
       execute format('alter role %I in database %I set statement_timeout = %s',
                      current_user, current_database(), ${Math.trunc(timeoutMs)});
     end $$`,
  );
  const [row] = await orm.em
    .getConnection()
    .execute<{ setting: string }[]>(
      `select setting from pg_settings where name = 'statement_timeout'`,
    );
  if (Number(row?.setting) !== timeoutMs) {
    logger.warn(
      { expectedMs: timeoutMs, sessionMs: Number(row?.setting) },
      'statement_timeout is set on the role of DATABASE_MIGRATION_URL, but a pooled session ' +
        'has another: a different role behind DATABASE_URL, or a server connection opened ' +
        "before the change (kept until PgBouncer's server_lifetime, or RECONNECT)",
    );
  }
}

/**
 * Named prepared statements break behind a transaction-pooling PgBouncer older than 1.21. A
 * pooler cannot be told from its answers, but it hands out a cancel key of its own: when the
 * connection's key is not its backend's pid, something sits in between.
 */
async function warnOfAPooler(orm: MikroORM, logger: AppLogger): Promise<void> {
  const knex = orm.em.getConnection().getKnex();
  const client = await acquirePooledClient(knex);
  try {
    const { rows } = await client.query<{ pid: number }>('select pg_backend_pid() as pid');
    if (rows[0]?.pid === cancelKeyOf(client).processID) return;
    logger.warn(
      'DATABASE_URL goes through a connection pooler and DB_PREPARED_STATEMENTS=true: in ' +
        'transaction mode before PgBouncer 1.21 (or with max_prepared_statements = 0) named ' +
        'statements fail ("prepared statement … already exists" / "does not exist"); set ' +
        'DB_PREPARED_STATEMENTS=false (docs/scaling.md#prepared-statements)',
    );
  } finally {
    await releasePooledClient(knex, client);
  }
}
