import { afterAll, describe, expect, it } from '@jest/globals';
import pg from 'pg';
import pino from 'pino';
import { loadConfig } from '../src/config';
import { poolStats } from '../src/db/pool-stats';
import { startServer } from '../src/server';
import { createTestDatabase } from './support/database';
import { createProduct } from './support/factories';
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
      env: { DB_ACQUIRE_TIMEOUT_MS: '500', DB_POOL_MIN: '2' },
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
    await server.close();
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

  it('leaks no connection when a client disconnects mid-request', async () => {
    const release = await lockProducts();
    const controller = new AbortController();
    const request = fetch(`${server.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ products(first: 1) { totalCount } }' }),
      signal: controller.signal,
    }).catch((error: unknown) => error);
    await sleep(100);
    controller.abort();
    expect((await request) as { name?: string }).toMatchObject({ name: 'AbortError' });
    await release();
    await sleep(400); // the abandoned statement completes or times out
    expect(poolStats(server.orm)).toMatchObject({ used: 0, pendingAcquires: 0 });
    expect((await server.gql('{ products(first: 1) { totalCount } }')).errors).toBeUndefined();
  });
});
