import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import pg from 'pg';
import { signToken } from '../src/auth/sign-token';
import { DEVELOPMENT_JWT_SECRET } from '../src/config';
import { freePort } from './global-setup';
import { createTestDatabase, type TestDatabase } from './support/database';
import { startMain, waitUntilReady, type Started } from './support/process';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

let database: TestDatabase;
let started: Started | undefined;
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => {
  if (started?.child.exitCode === null) started.child.kill('SIGKILL');
  await database?.drop();
});

describe('SIGTERM', () => {
  it('reports not ready, lets the mutation in flight commit, refuses new work, and exits 0', async () => {
    const sql = new pg.Client({ connectionString: database.url });
    sql.on('error', () => undefined); // the test database is dropped with this session open on failure
    await sql.connect();
    const { rows } = await sql.query<{ id: number }>(
      "insert into product (sku, name, price) values ('SHUT-0001', 'Before', 1) returning id",
    );
    const productId = rows[0]!.id;

    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    started = startMain({
      DATABASE_URL: database.url,
      PORT: String(port),
      HOST: '127.0.0.1',
      SEED_DEMO: 'false',
      SHUTDOWN_DELAY_MS: '500',
    });
    await waitUntilReady(url, started);

    // Writers to `product` wait behind this lock: the mutation will be in flight at SIGTERM.
    await sql.query('begin');
    await sql.query('lock table product in exclusive mode');
    const token = await signToken(DEVELOPMENT_JWT_SECRET, { sub: 'ops', roles: ['admin'] });
    const mutation = fetch(`${url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({
        query: `mutation { updateProduct(id: "${productId}", input: { name: "After" }) { name version } }`,
      }),
    }).then((r) => r.json());
    await sleep(300);

    started.child.kill('SIGTERM');
    await sleep(150);
    const ready = await fetch(`${url}/health/ready`);
    expect(ready.status).toBe(503);
    expect(await ready.json()).toEqual({ status: 'unavailable', reason: 'shutting down' });

    await sleep(600); // past SHUTDOWN_DELAY_MS: the server no longer takes new requests
    const late = await fetch(`${url}/graphql?query=%7Bcategories%7Bid%7D%7D`).then(
      (r) => r.status,
      () => 'refused',
    );
    expect([503, 'refused']).toContain(late);

    await sql.query('commit'); // the in-flight mutation may now finish
    expect(((await mutation) as { data: unknown }).data).toEqual({
      updateProduct: { name: 'After', version: 2 },
    });
    expect(await started.exited).toBe(0);
    const after = await sql.query('select name, version from product where id = $1', [productId]);
    expect(after.rows).toEqual([{ name: 'After', version: 2 }]);
    const leftover = await sql.query(
      "select count(*)::int as n from pg_stat_activity where datname = current_database() and application_name like 'catalog-graphql%'",
    );
    expect(leftover.rows[0]).toEqual({ n: 0 }); // the pool was closed, not abandoned
    await sql.end();
    expect(started.output()).toContain('shutting down');
  }, 60_000);

  it('lets operations whose clients have left finish before it closes the pool', async () => {
    const sql = new pg.Client({ connectionString: database.url });
    sql.on('error', () => undefined);
    await sql.connect();
    const { rows } = await sql.query<{ id: number }>(
      "insert into product (sku, name, price) values ('SHUT-0002', 'Before', 1) returning id",
    );
    const productId = rows[0]!.id;
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    started = startMain({
      DATABASE_URL: database.url,
      PORT: String(port),
      HOST: '127.0.0.1',
      SEED_DEMO: 'false',
      DB_POOL_MIN: '1',
      DB_POOL_MAX: '1',
    });
    await waitUntilReady(url, started);

    // The mutation waits behind this lock on the pool's only connection, and a read waits for
    // that connection. Both clients give up and go before SIGTERM, so no HTTP connection holds
    // the server open: only the operations themselves are still running.
    await sql.query('begin');
    await sql.query('lock table product in exclusive mode');
    const token = await signToken(DEVELOPMENT_JWT_SECRET, { sub: 'ops', roles: ['admin'] });
    const client = new AbortController();
    const mutation = fetch(`${url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({
        query: `mutation { updateProduct(id: "${productId}", input: { name: "After" }) { name } }`,
      }),
      signal: client.signal,
    }).catch(() => 'gone');
    await sleep(300);
    const read = fetch(`${url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ products(first: 1) { totalCount } }' }),
      signal: client.signal,
    }).catch(() => 'gone');
    await sleep(200);
    client.abort();
    expect(await Promise.all([mutation, read])).toEqual(['gone', 'gone']);
    await sleep(100);

    started.child.kill('SIGTERM');
    await sleep(500);
    expect(started.child.exitCode).toBeNull(); // still waiting for the operation
    await sql.query('commit');
    expect(await started.exited).toBe(0);

    // A write that had started is not cut off half-way by the pool closing: it committed.
    const after = await sql.query('select name from product where id = $1', [productId]);
    expect(after.rows).toEqual([{ name: 'After' }]);
    expect(started.output()).not.toMatch(/"level":50/); // nothing logged as an error
    await sql.end();
  }, 60_000);
});
