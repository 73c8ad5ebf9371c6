import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import type { Knex, MikroORM } from '@mikro-orm/postgresql';
import pg from 'pg';
import pino from 'pino';
import { createTestDatabase, type TestDatabase } from '../../../test/support/database';
import { loadConfig } from '../../config';
import { observeStatements } from '../../observability/statement-events';
import { DISCARDED_AFTER_CANCEL } from '../../shared/sql';
import { initOrm } from '../database';
import {
  acquirePooledClient,
  announceStatement,
  cancelKeyOf,
  forgetPreparedStatement,
  forkWithoutConfigSync,
  observeStatementUids,
  poolCounters,
  releasePooledClient,
  sendCancelRequest,
  statementFailed,
  statementSucceeded,
  type PooledClient,
} from '.';

/**
 * What we rely on in knex's, pg's and MikroORM's private parts (src/db/driver), checked against the real
 * engine and PostgreSQL. A failure here after an upgrade means the pin cannot be lifted as is:
 * each names the contract broken and where docs/dependencies.md says what to do.
 */
async function contract(
  broken: string,
  anchor: 'knex' | 'pg' | 'mikroorm',
  check: () => Promise<void>,
) {
  try {
    await check();
  } catch (error) {
    const detail = error instanceof Error ? (error.stack ?? error.message) : String(error);
    throw new Error(`CONTRACT BROKEN: ${broken}: see docs/dependencies.md#${anchor}\n\n${detail}`);
  }
}

const backendPid = async (client: PooledClient) =>
  (await client.query<{ pid: number }>('select pg_backend_pid() as pid')).rows[0]!.pid;

describe('the driver internals we rely on', () => {
  let database: TestDatabase;
  let orm: MikroORM;
  let knex: Knex;
  let admin: pg.Client;
  const logLines: string[] = [];

  beforeAll(async () => {
    database = await createTestDatabase();
    // A pool of one: the connection given back is the one taken next, unless it was discarded.
    const config = loadConfig({ NODE_ENV: 'test', DB_POOL_MAX: '1', DB_POOL_MIN: '0' });
    const logger = pino({ level: 'debug' }, { write: (line: string) => void logLines.push(line) });
    orm = await initOrm(database.url, config, logger);
    knex = orm.em.getConnection().getKnex();
    admin = new pg.Client({ connectionString: database.url });
    await admin.connect();
  });
  // A failed check must not leave the pool's only connection taken, failing the next ones too.
  const held = new Set<PooledClient>();
  const take = async () => {
    const client = await acquirePooledClient(knex);
    held.add(client);
    return client;
  };
  const giveBack = (client: PooledClient, discardReason?: string) => {
    held.delete(client);
    return releasePooledClient(knex, client, discardReason);
  };
  afterEach(async () => {
    for (const client of held) await giveBack(client, 'left by a failed contract test');
  });
  afterAll(async () => {
    await admin.end();
    await orm.close();
    await database.drop();
  });

  it('knex hands out a pooled pg.Client and takes it back, and its tarn pool counts both', () =>
    contract(
      'knex acquireConnection/releaseConnection or tarn pool counters changed',
      'knex',
      async () => {
        const client = await take();
        expect(client).toBeInstanceOf(pg.Client);
        expect((await client.query<{ one: number }>('select 1 as one')).rows).toEqual([{ one: 1 }]);
        expect(poolCounters(knex)).toEqual({
          used: 1,
          idle: 0,
          pendingAcquires: 0,
          pendingCreates: 0,
        });

        const waiting = take(); // the pool's only connection is taken
        expect(poolCounters(knex)).toMatchObject({ used: 1, pendingAcquires: 1 });
        await giveBack(client);
        const next = await waiting;
        expect(next).toBe(client);
        await giveBack(next);
        expect(poolCounters(knex)).toEqual({
          used: 0,
          idle: 1,
          pendingAcquires: 0,
          pendingCreates: 0,
        });
      },
    ));

  it('knex destroys a connection marked __knex__disposed, logs why, and opens another', () =>
    contract(
      'knex no longer discards a pooled connection marked __knex__disposed, or logs it otherwise',
      'knex',
      async () => {
        const first = await take();
        const pid = await backendPid(first);
        await giveBack(first);
        const again = await take();
        expect(await backendPid(again)).toBe(pid); // kept: the same backend serves again

        logLines.splice(0);
        await giveBack(again, DISCARDED_AFTER_CANCEL);
        // The replacement is created while we wait: tarn counts it as a pending create.
        let pendingCreates = 0;
        let settled = false;
        const replacement = take().finally(() => (settled = true));
        while (!settled) {
          pendingCreates = Math.max(pendingCreates, poolCounters(knex).pendingCreates);
          await new Promise((resolve) => setImmediate(resolve));
        }
        const fresh = await replacement;
        // knex logs why as a warning, which database.ts recognises as routine.
        expect(logLines.map((line) => JSON.parse(line) as { msg: string })).toContainEqual(
          expect.objectContaining({ msg: 'knex: connection discarded after a cancel' }),
        );
        expect(fresh).not.toBe(again);
        expect(await backendPid(fresh)).not.toBe(pid);
        expect(pendingCreates).toBe(1);
        await giveBack(fresh);
        // Its backend is gone, not idle (it exits once it has read the Terminate message).
        let alive = true;
        for (let tries = 0; alive && tries < 50; tries++) {
          const { rowCount } = await admin.query('select from pg_stat_activity where pid = $1', [
            pid,
          ]);
          alive = rowCount !== 0;
          if (alive) await new Promise((resolve) => setTimeout(resolve, 20));
        }
        expect(alive).toBe(false);
      },
    ));

  it("knex's statement observers see a statement announced by hand, paired by its uid", () =>
    contract(
      "knex's 'query'/'query-response'/'query-error' events or __knexQueryUid changed",
      'knex',
      async () => {
        const seen: [string, unknown][] = [];
        const onQuery = (query: unknown) => seen.push(['query', query]);
        const onResponse = (rows: unknown, query: unknown) =>
          seen.push(['response', [rows, query]]);
        const onError = (error: unknown, query: unknown) => seen.push(['error', [error, query]]);
        knex.on('query', onQuery).on('query-response', onResponse).on('query-error', onError);
        const uids: [string, string][] = [];
        observeStatementUids(knex, {
          started: (uid) => uids.push(['started', uid]),
          ended: (uid, outcome) => uids.push([outcome, uid]),
        });
        const timed: string[] = [];
        observeStatements(orm, { finished: (_seconds, outcome) => timed.push(outcome) });
        try {
          const ok = announceStatement(knex, 'select $1', [7]);
          statementSucceeded(knex, ok, [{ n: 7 }]);
          const failure = new Error('failed');
          const failed = announceStatement(knex, 'select 1/0', []);
          statementFailed(knex, failed, failure);
          expect(seen).toEqual([
            ['query', { __knexQueryUid: ok.__knexQueryUid, sql: 'select $1', bindings: [7] }],
            ['response', [[{ n: 7 }], ok]],
            ['query', failed],
            ['error', [failure, failed]],
          ]);
          // knex's own statements carry the uid too, so the same observer times them.
          await knex.raw('select 1');
          await expect(knex.raw('select 1/0')).rejects.toThrow('division by zero');
          expect(uids.map(([event]) => event)).toEqual([
            'started',
            'ok',
            'started',
            'error',
            'started',
            'ok',
            'started',
            'error',
          ]);
          expect(new Set(uids.map(([, uid]) => uid)).size).toBe(4);
          expect(timed).toEqual(['ok', 'error', 'ok', 'error']);
        } finally {
          knex.off('query', onQuery).off('query-response', onResponse).off('query-error', onError);
        }
      },
    ));

  it("pg records a connection's named statements in connection.parsedStatements", () =>
    contract(
      'pg no longer re-prepares a named statement deleted from parsedStatements',
      'pg',
      async () => {
        const client = await take();
        const probe = (n: number) =>
          client.query<{ n: number }>({
            name: 'contract_probe',
            text: 'select $1::int as n',
            values: [n],
          });
        const prepared = async () =>
          (
            await client.query<{ name: string }>('select name from pg_prepared_statements')
          ).rows.map((row) => row.name);
        try {
          expect((await probe(1)).rows).toEqual([{ n: 1 }]);
          expect(await prepared()).toEqual(['contract_probe']);

          // Deallocated behind pg's back, pg still only binds it: the server no longer has it.
          await client.query('deallocate "contract_probe"');
          await expect(probe(2)).rejects.toThrow(
            'prepared statement "contract_probe" does not exist',
          );

          forgetPreparedStatement(client, 'contract_probe');
          expect((await probe(3)).rows).toEqual([{ n: 3 }]); // prepared again
          expect(await prepared()).toEqual(['contract_probe']);
        } finally {
          await giveBack(client, 'prepared statements of a test');
        }
      },
    ));

  it("a cancel request built from pg's processID/secretKey cancels what that backend runs", () =>
    contract(
      "pg's processID/secretKey/connectionParameters or pg.Connection#cancel changed",
      'pg',
      async () => {
        const client = await take();
        try {
          const key = cancelKeyOf(client);
          expect(key.processID).toBe(await backendPid(client));
          expect(typeof key.secretKey).toBe('number');
          expect(key.ssl).toBe(false); // the pool's TLS setting (the test database has none)

          const started = Date.now();
          const sleeping = client.query('select pg_sleep(30)');
          await new Promise((resolve) => setTimeout(resolve, 200));
          sendCancelRequest(client);
          await expect(sleeping).rejects.toMatchObject({ code: '57014' }); // query_canceled
          expect(Date.now() - started).toBeLessThan(10_000);
        } finally {
          await giveBack(client, 'cancelled by a test');
        }
      },
    ));
  it("MikroORM's fork sets allowGlobalContext through Configuration#set, and sync derives nothing from it", () =>
    contract(
      'EntityManager#fork or Configuration#set/sync changed how allowGlobalContext is handled',
      'mikroorm',
      async () => {
        const config = orm.config;
        const own = Object.getOwnPropertyDescriptor(config, 'set');
        const set = config.set.bind(config);
        const keys: unknown[] = [];
        config.set = (key, value) => {
          keys.push([key, value]);
          set(key, value);
        };
        try {
          const before = config.get('allowGlobalContext');
          orm.em.fork();
          expect(keys).toEqual([
            ['allowGlobalContext', true],
            ['allowGlobalContext', before],
          ]);
        } finally {
          if (own) Object.defineProperty(config, 'set', own);
          else delete (config as { set?: unknown }).set;
        }
        // Prototype's own set (re-syncing): every other option, and the environment, unchanged.
        const original = Object.getPrototypeOf(config) as typeof config;
        const options = { ...config.getAll() };
        const colors = process.env.MIKRO_ORM_COLORS;
        const value = config.get('allowGlobalContext');
        original.set.call(config, 'allowGlobalContext', !value);
        original.set.call(config, 'allowGlobalContext', value);
        expect(process.env.MIKRO_ORM_COLORS).toBe(colors);
        for (const [key, option] of Object.entries(config.getAll())) {
          expect([key, option]).toEqual([key, options[key as keyof typeof options]]);
        }
      },
    ));

  it('forkWithoutConfigSync: a fork no longer re-syncs the configuration; other keys still do', () => {
    forkWithoutConfigSync(orm);
    const config = orm.config;
    // Configuration#sync is private: watched on the instance, as fork reaches it through set.
    const watched = config as unknown as { sync: () => void };
    let syncs = 0;
    const sync = watched.sync;
    watched.sync = () => {
      syncs += 1;
      sync.call(config);
    };
    try {
      const before = config.get('allowGlobalContext');
      const fork = orm.em.fork();
      expect(fork).not.toBe(orm.em);
      expect(syncs).toBe(0);
      expect(config.get('allowGlobalContext')).toBe(before);
      config.set('debug', config.get('debug'));
      expect(syncs).toBe(1);
    } finally {
      watched.sync = sync;
    }
  });
});
