import { afterAll, describe, expect, it } from '@jest/globals';
import pg from 'pg';
import pino from 'pino';
import { loadConfig } from '../src/config';
import { poolStats } from '../src/db/pool-stats';
import { startServer } from '../src/server';
import { createTestDatabase } from './support/database';
import { createCategory, createProduct } from './support/factories';
import { freePort } from './global-setup';
import { startTestServer, type TestServer } from './support/server';
import { TcpProxy } from './support/tcp-proxy';

/** Faults a real PostgreSQL can throw at the server, each against the real thing. */

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const codeOf = (r: { errors?: { extensions?: { code?: string } }[] }) =>
  r.errors?.[0]?.extensions?.code ?? 'OK';

async function proxyFor(url: string): Promise<TcpProxy> {
  const target = new URL(url);
  return new TcpProxy({ host: target.hostname, port: Number(target.port) }, await freePort());
}

describe('a database that is down when the server starts', () => {
  it('reports not ready, answers 503, retries with backoff, and serves once the database is up', async () => {
    const database = await createTestDatabase();
    const proxy = await proxyFor(database.url); // not accepting yet: the database is "down"
    const config = loadConfig({
      DATABASE_URL: proxy.rewrite(database.url),
      HOST: '127.0.0.1',
      PORT: '0',
      SEED_DEMO: 'false',
      NODE_ENV: 'test',
    });
    const server = await startServer(config, pino({ level: 'silent' }));
    try {
      const notReady = await fetch(`${server.url}/health/ready`);
      expect(notReady.status).toBe(503);
      expect(await notReady.json()).toEqual({
        status: 'unavailable',
        reason: 'starting: database not ready',
      });
      const early = await fetch(`${server.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query: '{ categories { id } }' }),
      });
      expect(early.status).toBe(503);
      expect(
        codeOf((await early.json()) as { errors?: { extensions?: { code?: string } }[] }),
      ).toBe('SERVICE_UNAVAILABLE');

      await sleep(1200); // a few failed attempts
      await proxy.up();
      await server.databaseReady;
      expect((await fetch(`${server.url}/health/ready`)).status).toBe(200);
    } finally {
      await server.stop();
      await proxy.down();
      await database.drop();
    }
  }, 30_000);
});

describe('a database that restarts under load', () => {
  let server: TestServer;
  let proxy: TcpProxy;
  afterAll(async () => {
    await proxy.up();
    await server.close();
    await proxy.down();
  });

  it('fails requests during the outage with SERVICE_UNAVAILABLE, then recovers by itself', async () => {
    proxy = await proxyFor(process.env.TEST_ADMIN_DATABASE_URL!); // the shared PostgreSQL
    server = await startTestServer({
      // No shadow runs: graphql-js would run each compiled operation again a moment later, on
      // the other side of the outage, and answer otherwise for that reason alone.
      env: { DB_ACQUIRE_TIMEOUT_MS: '500', DB_POOL_MIN: '2', GRAPHQL_SHADOW_EXECUTION: 'false' },
      databaseUrl: (url) => proxy.rewrite(url),
    });
    await proxy.up();
    const product = await createProduct(server.orm);

    const codes: string[] = [];
    let running = true;
    const worker = async () => {
      while (running) {
        const response = await server.gql(`{ product(id: "${product.id}") { name reviewCount } }`);
        codes.push(codeOf(response));
      }
    };
    const workers = Array.from({ length: 8 }, worker);
    await sleep(300);
    await proxy.down();
    const duringOutage = codes.length;
    await sleep(800);
    await proxy.up();
    await sleep(1500);
    running = false;
    await Promise.all(workers);

    const unexpected = codes.filter((c) => c !== 'OK' && c !== 'SERVICE_UNAVAILABLE');
    expect(unexpected).toEqual([]);
    expect(
      codes.slice(duringOutage).filter((c) => c === 'SERVICE_UNAVAILABLE').length,
    ).toBeGreaterThan(0);
    // Recovered without a restart: the last requests all succeeded.
    expect(codes.slice(-16).every((c) => c === 'OK')).toBe(true);
    expect(poolStats(server.orm)).toMatchObject({ used: 0, pendingAcquires: 0 });
  }, 30_000);
});

describe('slow statements and vanishing clients', () => {
  let server: TestServer;
  let locker: pg.Client;
  afterAll(async () => {
    await locker?.end().catch(() => undefined);
    await server?.close();
  });

  /** Holds an exclusive lock on `product`, so every read of it waits: a slow statement on demand. */
  async function lockProducts(): Promise<() => Promise<void>> {
    const [row] = await server.sql<{ db: string }>('select current_database() as db');
    const url = new URL(process.env.TEST_ADMIN_DATABASE_URL!);
    url.pathname = `/${row!.db}`;
    locker = new pg.Client({ connectionString: url.toString() });
    await locker.connect();
    await locker.query('begin');
    await locker.query('lock table product in access exclusive mode');
    return async () => {
      await locker.query('rollback');
      await locker.end();
    };
  }

  it('cancels a statement past DB_STATEMENT_TIMEOUT_MS, reports it, and reuses the connection', async () => {
    server = await startTestServer({ env: { DB_STATEMENT_TIMEOUT_MS: '300', DB_POOL_MAX: '2' } });
    const release = await lockProducts();
    try {
      const response = await server.gql('{ products(first: 1) { totalCount } }');
      expect(response.errors?.[0]).toMatchObject({
        message: expect.stringMatching(/took too long/),
        extensions: { code: 'SERVICE_UNAVAILABLE' },
      });
    } finally {
      await release();
    }
    for (let i = 0; i < 4; i++) {
      expect((await server.gql('{ products(first: 1) { totalCount } }')).errors).toBeUndefined();
    }
    expect(poolStats(server.orm).used).toBe(0);
  });

  /**
   * Sends a query and hangs up once `ready` holds (or after that many ms), as a browser tab
   * closed mid-request does.
   */
  async function abandon(query: string, ready: number | (() => Promise<boolean>)): Promise<void> {
    const controller = new AbortController();
    const request = fetch(`${server.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query }),
      signal: controller.signal,
    }).catch((error: unknown) => error);
    if (typeof ready === 'number') await sleep(ready);
    else expect(await eventually(ready)).toBe(true);
    controller.abort();
    expect((await request) as { name?: string }).toMatchObject({ name: 'AbortError' });
  }

  /** Statements of this server waiting for the lock, as PostgreSQL sees them. */
  async function waitingStatements(): Promise<number> {
    const rows = await locker.query<{ n: number }>(
      `select count(*)::int as n from pg_stat_activity
        where application_name = 'catalog-graphql' and wait_event_type = 'Lock'`,
    );
    return rows.rows[0]!.n;
  }

  async function eventually(check: () => Promise<boolean> | boolean, ms = 2000): Promise<boolean> {
    for (const start = Date.now(); Date.now() - start < ms; await sleep(25)) {
      if (await check()) return true;
    }
    return check();
  }

  it('cancels the running SQL of a client that hangs up, and has its connection back at once', async () => {
    await server?.close();
    const logLines: string[] = [];
    server = await startTestServer({ env: { DB_STATEMENT_TIMEOUT_MS: '60000' }, logLines });
    const release = await lockProducts();
    try {
      // Hang up while its statement is waiting for the lock...
      await abandon(
        '{ products(first: 5) { edges { node { id name } } } }',
        async () => (await waitingStatements()) === 1,
      );
      // ...which is still held: only a cancel can have ended the statement.
      expect(await eventually(async () => (await waitingStatements()) === 0)).toBe(true);
      expect(await eventually(() => poolStats(server.orm).used === 0)).toBe(true);
      // Counted as the client's doing, not as a server fault.
      const errors =
        await server.app.metrics.registry.getSingleMetricAsString('graphql_errors_total');
      expect(errors).toMatch(/code="CLIENT_CLOSED_REQUEST"[^\n]* 1$/m);
    } finally {
      await release();
    }
    const after = await server.gql('{ products(first: 5) { edges { node { id } } } }');
    expect(after.errors).toBeUndefined();
    expect(poolStats(server.orm)).toMatchObject({ used: 0, pendingAcquires: 0 });
    // The connection that carried the cancel was dropped: routine, not a warning.
    const warnings = logLines.filter((line) => (JSON.parse(line) as { level: number }).level >= 40);
    expect(warnings).toEqual([]);
  });

  it('runs operations in turn past GRAPHQL_MAX_CONCURRENT_OPERATIONS, and turns away a long wait', async () => {
    await server.close();
    server = await startTestServer({
      env: { GRAPHQL_MAX_CONCURRENT_OPERATIONS: '1', GRAPHQL_MAX_QUEUE_WAIT_MS: '1500' },
    });
    const gate = server.app.operationGate;
    const release = await lockProducts();
    let slow: Promise<unknown>;
    try {
      slow = server.gql('{ products(first: 1) { edges { node { id } } } }');
      expect(await eventually(() => gate.active === 1)).toBe(true);

      // A client that hangs up while waiting leaves the queue at once.
      const leaving = abandon('{ categories { id } }', 150);
      expect(await eventually(() => gate.waiting === 1)).toBe(true);
      await leaving;
      // Well before its 1.5 s wait would have run out.
      expect(await eventually(() => gate.waiting === 0, 500)).toBe(true);

      // One that waits longer than GRAPHQL_MAX_QUEUE_WAIT_MS is told to come back.
      const response = await fetch(`${server.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query: '{ categories { id } }' }),
      });
      expect(response.status).toBe(503);
      expect(await response.json()).toMatchObject({
        errors: [
          { message: expect.stringMatching(/busy/), extensions: { code: 'SERVICE_UNAVAILABLE' } },
        ],
      });
    } finally {
      await release();
    }
    expect(((await slow!) as { errors?: unknown }).errors).toBeUndefined();
    // Once the turn is free, waiting work runs (arrival order: operation-gate.test.ts).
    const answers = await Promise.all(
      Array.from({ length: 5 }, () => server.gql('{ categories { id } }')),
    );
    expect(answers.every((a) => a.errors === undefined)).toBe(true);
    expect({ active: gate.active, waiting: gate.waiting }).toEqual({ active: 0, waiting: 0 });
  });

  it('runs light compiled queries in a lane of their own, GRAPHQL_MAX_CONCURRENT_LIGHT_OPERATIONS at once', async () => {
    await server?.close();
    server = await startTestServer({
      env: {
        GRAPHQL_MAX_CONCURRENT_OPERATIONS: '1',
        GRAPHQL_MAX_CONCURRENT_LIGHT_OPERATIONS: '1',
        GRAPHQL_COMPILE_AFTER: '1',
      },
    });
    const { operationGate: gate, lightOperationGate: light } = server.app;
    const product = await createProduct(server.orm, { category: await createCategory(server.orm) });
    const lookup = 'query Lookup($id: ID!) { product(id: $id) { id name category { name } } }';
    const variables = { id: String(product.id) };
    // Priced over LIGHT_OPERATION_COST (a page of 10 products per category).
    const deep = '{ categories { products(first: 10) { edges { node { id } } } } }';
    // Compiled by their first run (Apollo's), answered by the fast path from then on.
    for (const query of [lookup, deep]) {
      expect((await server.gql(query, variables)).errors).toBeUndefined();
    }
    const release = await lockProducts();
    const answers: Promise<{ errors?: unknown }>[] = [];
    try {
      answers.push(server.gql(deep));
      expect(await eventually(() => gate.active === 1)).toBe(true);
      // The main lane is full, the lookup is not behind it...
      answers.push(server.gql(lookup, variables));
      expect(await eventually(() => light!.active === 1)).toBe(true);
      // ...and the light lane has its own limit.
      answers.push(server.gql(lookup, variables));
      expect(await eventually(() => light!.waiting === 1)).toBe(true);
      // A light query Apollo answers (its first run: not compiled yet) takes a main turn.
      answers.push(server.gql('{ product(id: "1") { id } }'));
      expect(await eventually(() => gate.waiting === 1)).toBe(true);
      expect({ active: light!.active, waiting: light!.waiting }).toEqual({ active: 1, waiting: 1 });
    } finally {
      await release();
    }
    for (const answer of await Promise.all(answers)) expect(answer.errors).toBeUndefined();
    const lanes = [gate, light!].map((g) => ({ active: g.active, waiting: g.waiting }));
    expect(lanes).toEqual([
      { active: 0, waiting: 0 },
      { active: 0, waiting: 0 },
    ]);
  });

  it('keeps a turn until the operation has ended, even after its client left', async () => {
    await server?.close();
    server = await startTestServer({ env: { GRAPHQL_MAX_CONCURRENT_OPERATIONS: '1' } });
    const gate = server.app.operationGate;
    const product = await createProduct(server.orm);
    const token = await server.token({ sub: 'admin', roles: ['admin'] });
    const release = await lockProducts();
    try {
      // A mutation is not cancelled when its client leaves: it commits or rolls back whole.
      const controller = new AbortController();
      const request = fetch(`${server.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({
          query: `mutation { adjustStock(id: "${product.id}", delta: 1) { stock } }`,
        }),
        signal: controller.signal,
      }).catch((error: unknown) => error);
      expect(await eventually(async () => (await waitingStatements()) === 1)).toBe(true);
      controller.abort();
      await request;
      await sleep(300);
      // Still running, so still holding the only turn: a new operation waits for it.
      expect(await waitingStatements()).toBe(1);
      expect(gate.active).toBe(1);
    } finally {
      await release();
    }
    expect(await eventually(() => gate.active === 0)).toBe(true);
    const [row] = await server.sql<{ stock: number }>('select stock from product where id = $1', [
      product.id,
    ]);
    expect(row!.stock).toBe(product.stock + 1); // it did commit
    expect((await server.gql('{ categories { id } }')).errors).toBeUndefined();
  });
});
