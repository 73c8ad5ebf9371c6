import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import pino from 'pino';
import type { MikroORM } from '@mikro-orm/postgresql';
import { startPgBouncer, type PgBouncer } from '../../scripts/topology/pgbouncer';
import { loadConfig } from '../../src/config';
import { initOrm, prepareDatabase } from '../../src/db/database';
import { acquirePooledClient, releasePooledClient } from '../../src/db/driver';
import { selectRows } from '../../src/shared/sql';
import { adminQuery, freePort, withDatabase } from '../global-setup';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { describeWithDebian } from '../support/debian';
import { createCategory, createProduct } from '../support/factories';
import { startMain, waitUntilReady, type Started } from '../support/process';
import { startTestServer, type TestServer } from '../support/server';

/**
 * Debian's PgBouncer 1.18 in transaction mode between the app and the run's PostgreSQL: what
 * works through it, what breaks and why (docs/scaling.md#pgbouncer).
 */

const databaseOf = (url: string) => new URL(url).pathname.slice(1);

describeWithDebian(['pgbouncer'], 'PgBouncer 1.18, transaction mode', () => {
  let dir: string;
  /** A pool of 10 server connections per database, as in production. */
  let bouncer: PgBouncer;
  /** One server connection per database: every client shares it, deterministically. */
  let single: PgBouncer;
  const through = (pooler: () => PgBouncer) => (url: string) => pooler().urlFor(databaseOf(url));

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'catalog-pgbouncer-'));
    chmodSync(dir, 0o755); // PgBouncer runs as the postgres user, which must enter it
    const serverUrl = process.env.TEST_ADMIN_DATABASE_URL!;
    const admin = new URL(serverUrl);
    const users = [{ name: admin.username, password: decodeURIComponent(admin.password) }];
    [bouncer, single] = await Promise.all([
      startPgBouncer({ dir: join(dir, 'pool'), port: await freePort(), serverUrl, users }),
      startPgBouncer({
        dir: join(dir, 'single'),
        port: await freePort(),
        serverUrl,
        users,
        poolSize: 1,
      }),
    ]);
  });
  afterAll(async () => {
    await Promise.all([bouncer?.stop(), single?.stop()]);
    rmSync(dir, { recursive: true, force: true });
  });

  it('checks the password: a wrong one is refused', async () => {
    const url = new URL(bouncer.url);
    url.password = 'not-the-password';
    const client = new pg.Client({ connectionString: url.toString() });
    await expect(client.connect()).rejects.toThrow(/authentication failed/);
    await client.end().catch(() => undefined);
  });

  describe('the server through it, with DB_PREPARED_STATEMENTS=false', () => {
    let server: TestServer;
    beforeAll(async () => {
      server = await startTestServer({
        databaseUrl: through(() => bouncer),
        env: { DB_PREPARED_STATEMENTS: 'false', DB_STATEMENT_TIMEOUT_ON: 'role' },
      });
    });
    afterAll(() => server?.close());

    it('answers the read and the write path', async () => {
      const admin = await server.token({ sub: 'root', roles: ['admin'] });
      const shopper = await server.token({ sub: 'sam', name: 'Sam' });
      const category = await server.gql<{ createCategory: { id: string } }>(
        `mutation { createCategory(input: { name: "Garden", slug: "garden-pgb" }) { id } }`,
        {},
        { token: admin },
      );
      expect(category.errors).toBeUndefined();
      const categoryId = category.data!.createCategory.id;
      const created = await server.gql<{ createProduct: { id: string; version: number } }>(
        `mutation ($c: ID) { createProduct(input: { sku: "PGB-1", name: "Rake", price: "12.50", categoryId: $c }) { id version } }`,
        { c: categoryId },
        { token: admin },
      );
      expect(created.errors).toBeUndefined();
      const { id, version } = created.data!.createProduct;
      const updated = await server.gql(
        `mutation ($id: ID!, $v: Int) { updateProduct(id: $id, input: { name: "Steel rake", expectedVersion: $v }) { name } }`,
        { id, v: version },
        { token: admin },
      );
      expect(updated).toMatchObject({ data: { updateProduct: { name: 'Steel rake' } } });
      const stale = await server.gql(
        `mutation ($id: ID!, $v: Int) { updateProduct(id: $id, input: { name: "Old", expectedVersion: $v }) { name } }`,
        { id, v: version },
        { token: admin },
      );
      expect(stale.errors?.[0]?.extensions?.code).toBe('CONFLICT');
      expect(
        await server.gql(
          `mutation ($id: ID!) { adjustStock(id: $id, delta: 5) { stock } }`,
          { id },
          { token: admin },
        ),
      ).toMatchObject({ data: { adjustStock: { stock: 5 } } });
      const review = await server.gql(
        `mutation ($id: ID!) { addReview(input: { productId: $id, rating: 4, title: "Good" }) { rating } }`,
        { id },
        { token: shopper },
      );
      expect(review.errors).toBeUndefined();

      // Reads by id (FixedStatements, unnamed here), lists, counts and loaders, twice: the
      // second run is compiled, and each may land on another server connection.
      for (let run = 0; run < 3; run++) {
        const read = await server.gql(
          `query ($id: ID!, $c: ID!) {
             product(id: $id) { name stock reviewCount averageRating category { name } }
             category(id: $c) { name products(first: 5) { totalCount edges { node { name } } } }
           }`,
          { id, c: categoryId },
        );
        expect(read.errors).toBeUndefined();
        expect(read.data).toEqual({
          product: {
            name: 'Steel rake',
            stock: 5,
            reviewCount: 1,
            averageRating: 4,
            category: { name: 'Garden' },
          },
          category: {
            name: 'Garden',
            products: { totalCount: 1, edges: [{ node: { name: 'Steel rake' } }] },
          },
        });
      }
      // Written for real: read back behind the app's back, straight from PostgreSQL.
      expect(await server.sql('select name, stock from product where id = $1', [id])).toEqual([
        { name: 'Steel rake', stock: 5 },
      ]);
    });
  });

  /**
   * Two connections of the app's pool, one server connection behind PgBouncer: each pg client
   * believes it has not prepared `products_by_id_one` yet, so the second one's Parse meets the
   * first one's statement on the shared server connection.
   */
  describe.each([
    ['true', 'fail: the second connection finds the statement already there'],
    ['false', 'work: unnamed statements carry nothing from one transaction to the next'],
  ])('with DB_PREPARED_STATEMENTS=%s, reads by id on two pool connections', (prepared, _what) => {
    let server: TestServer;
    const logLines: string[] = [];
    beforeAll(async () => {
      server = await startTestServer({
        databaseUrl: through(() => single),
        logLines,
        env: {
          DB_PREPARED_STATEMENTS: prepared,
          DB_STATEMENT_TIMEOUT_ON: 'role',
          DB_POOL_MAX: '2',
          DB_POOL_MIN: '0',
        },
      });
    });
    afterAll(() => server?.close());

    it(prepared === 'true' ? 'fail' : 'work', async () => {
      const category = await createCategory(server.orm, { name: 'Tools' });
      const product = await createProduct(server.orm, { name: 'Saw', category });
      const read = () =>
        server.gql(`query ($id: ID!) { product(id: $id) { name } }`, { id: String(product.id) });
      const knex = server.orm.em.getConnection().getKnex();
      // Hold both pool connections, then free one at a time: each read gets the other one.
      const [first, second] = await Promise.all([
        acquirePooledClient(knex),
        acquirePooledClient(knex),
      ]);
      await releasePooledClient(knex, first);
      const onFirst = await read();
      const again = await acquirePooledClient(knex);
      expect(again).toBe(first);
      await releasePooledClient(knex, second);
      const onSecond = await read();
      await releasePooledClient(knex, again);

      expect(onFirst).toMatchObject({ data: { product: { name: 'Saw' } } });
      if (prepared === 'true') {
        expect(onSecond.errors?.[0]?.extensions?.code).toBe('INTERNAL_SERVER_ERROR');
        expect(logLines.join('\n')).toContain(
          'prepared statement \\"products_by_id_one\\" already exists',
        );
      } else {
        expect(onSecond).toMatchObject({ data: { product: { name: 'Saw' } } });
        expect(logLines.join('\n')).not.toContain('prepared statement');
      }
    });
  });

  describe('at start-up (prepareDatabase)', () => {
    let database: TestDatabase;
    const orms: MikroORM[] = [];
    beforeEach(async () => {
      database = await createTestDatabase();
    });
    afterEach(async () => {
      await Promise.all(orms.splice(0).map((orm) => orm.close()));
      await database.drop();
    });

    async function start(url: string, env: Record<string, string>, logLines: string[] = []) {
      const config = loadConfig({ NODE_ENV: 'test', ...env });
      const logger = pino({ level: 'info' }, { write: (line: string) => void logLines.push(line) });
      const orm = await initOrm(url, config, logger);
      orms.push(orm);
      const prepared = prepareDatabase(orm, database.url, { seed: false, logger, pool: config });
      return { orm, prepared, logLines };
    }

    it('warns that named statements break when DATABASE_URL goes through a pooler', async () => {
      const env = { DB_STATEMENT_TIMEOUT_ON: 'role' };
      const pooled = await start(bouncer.urlFor(databaseOf(database.url)), env);
      await pooled.prepared;
      expect(pooled.logLines.join('\n')).toMatch(
        /connection pooler and DB_PREPARED_STATEMENTS=true/,
      );

      const direct = await start(database.url, env);
      await direct.prepared;
      expect(direct.logLines.join('\n')).not.toMatch(/connection pooler/);
    });

    it('says what to change when PgBouncer refuses statement_timeout as a startup parameter', async () => {
      const { prepared } = await start(bouncer.urlFor(databaseOf(database.url)), {
        DB_PREPARED_STATEMENTS: 'false',
        DB_STATEMENT_TIMEOUT_MS: '300',
      });
      await expect(prepared).rejects.toThrow(
        /refuses statement_timeout at connect: set DB_STATEMENT_TIMEOUT_ON=role/,
      );
    });

    it('with DB_STATEMENT_TIMEOUT_ON=role, cancels a slow statement at the timeout through PgBouncer', async () => {
      const { orm, prepared, logLines } = await start(bouncer.urlFor(databaseOf(database.url)), {
        DB_PREPARED_STATEMENTS: 'false',
        DB_STATEMENT_TIMEOUT_MS: '300',
        DB_STATEMENT_TIMEOUT_ON: 'role',
        DB_POOL_MAX: '4',
      });
      await prepared;
      expect(logLines.join('\n')).not.toMatch(/statement_timeout is set on the role/);
      // Several at once, so several of PgBouncer's server connections run one each.
      const started = Date.now();
      const outcomes = await Promise.allSettled(
        [0, 1, 2, 3].map(() => selectRows(orm.em.fork(), 'select pg_sleep(5)')),
      );
      const elapsed = Date.now() - started;
      for (const outcome of outcomes) {
        expect(outcome.status).toBe('rejected');
        expect(String((outcome as PromiseRejectedResult).reason)).toMatch(
          /canceling statement due to statement timeout/,
        );
      }
      expect(elapsed).toBeGreaterThanOrEqual(250);
      expect(elapsed).toBeLessThan(3000);
    });
    it('with DB_STATEMENT_TIMEOUT_ON=role, waits for the migrations of another instance longer than the timeout', async () => {
      const env = {
        DB_PREPARED_STATEMENTS: 'false',
        DB_STATEMENT_TIMEOUT_MS: '300',
        DB_STATEMENT_TIMEOUT_ON: 'role',
      };
      const url = bouncer.urlFor(databaseOf(database.url));
      await (
        await start(url, env)
      ).prepared; // the role has its timeout from now on
      // Another instance migrating: it holds the lock for three times the timeout.
      const other = new pg.Client({ connectionString: database.url });
      await other.connect();
      try {
        await other.query('select pg_advisory_lock(7245810013)');
        const second = await start(url, env);
        const outcome = second.prepared.then(
          () => 'prepared',
          (error: unknown) => String(error),
        );
        // Once it waits for the lock, it must wait past the timeout (twice it, here).
        const waiting = async () =>
          (
            await other.query(
              `select 1 from pg_stat_activity
                where application_name = 'catalog-graphql:migrate' and wait_event_type = 'Lock'`,
            )
          ).rowCount === 1;
        while (!(await waiting())) await new Promise((resolve) => setTimeout(resolve, 20));
        await new Promise((resolve) => setTimeout(resolve, 600));
        await other.query('select pg_advisory_unlock(7245810013)');
        expect(await outcome).toBe('prepared');
      } finally {
        await other.end();
      }
    });
  });

  describe('the migrations lock', () => {
    it('does not exclude anyone through transaction pooling: a session lock lands on a shared server connection', async () => {
      const database = await createTestDatabase();
      const clients: pg.Client[] = [];
      const connect = async (url: string) => {
        const client = new pg.Client({ connectionString: url });
        clients.push(client);
        await client.connect();
        return client;
      };
      const tryLock = async (client: pg.Client) =>
        (await client.query<{ locked: boolean }>('select pg_try_advisory_lock(42) as locked'))
          .rows[0]!.locked;
      try {
        // Two instances through PgBouncer: both "hold" it, since both ran on the one server
        // session that holds it (and it stays held there after they leave).
        const pooled = single.urlFor(databaseOf(database.url));
        expect(await tryLock(await connect(pooled))).toBe(true);
        expect(await tryLock(await connect(pooled))).toBe(true);
        // Two instances on direct connections: the second waits its turn.
        expect(await tryLock(await connect(database.url))).toBe(false);
      } finally {
        await Promise.all(clients.map((c) => c.end().catch(() => undefined)));
        await database.drop();
      }
    });

    it('holds on DATABASE_MIGRATION_URL: npm start through PgBouncer migrates and seeds an empty database', async () => {
      const adminUrl = process.env.TEST_ADMIN_DATABASE_URL!;
      const name = `catalog_pgbouncer_${process.pid}`;
      await adminQuery(adminUrl, `create database ${name}`);
      let started: Started | undefined;
      try {
        const port = await freePort();
        started = startMain({
          PORT: String(port),
          DATABASE_URL: bouncer.urlFor(name),
          DATABASE_MIGRATION_URL: withDatabase(adminUrl, name),
          DB_PREPARED_STATEMENTS: 'false',
          DB_STATEMENT_TIMEOUT_ON: 'role',
          SEED_DEMO: 'true',
        });
        const url = `http://127.0.0.1:${port}`;
        await waitUntilReady(url, started);
        const response = await fetch(`${url}/graphql`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ query: '{ products(first: 1) { totalCount } }' }),
        });
        const body = (await response.json()) as { data?: { products: { totalCount: number } } };
        expect(body.data?.products.totalCount).toBeGreaterThan(0);
        expect(started.output()).not.toMatch(/connection pooler/);
      } finally {
        if (started && started.child.exitCode === null) {
          started.child.kill('SIGTERM');
          await started.exited;
        }
        await adminQuery(adminUrl, `drop database if exists ${name} with (force)`);
      }
    });
  });
});
