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

/**
 * A server (`npm start`'s process) over the test database with one product, `sku`, whose
 * table is then locked by `sql`: a mutation of it waits until `sql` commits.
 */
async function startWithLockedProduct(sku: string, env: Record<string, string>) {
  const sql = new pg.Client({ connectionString: database.url });
  sql.on('error', () => undefined); // the test database is dropped with this session open on failure
  await sql.connect();
  const { rows } = await sql.query<{ id: number }>(
    "insert into product (sku, name, price) values ($1, 'Before', 1) returning id",
    [sku],
  );
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const server = startMain({
    DATABASE_URL: database.url,
    PORT: String(port),
    HOST: '127.0.0.1',
    SEED_DEMO: 'false',
    ...env,
  });
  started = server;
  await waitUntilReady(url, server);
  await sql.query('begin');
  await sql.query('lock table product in exclusive mode');
  const token = await signToken(DEVELOPMENT_JWT_SECRET, { sub: 'ops', roles: ['admin'] });
  /** Renames the product to "After", selecting `selection`. */
  const rename = (selection: string, signal?: AbortSignal) =>
    fetch(`${url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({
        query: `mutation { updateProduct(id: "${rows[0]!.id}", input: { name: "After" }) { ${selection} } }`,
      }),
      signal,
    });
  return { sql, server, url, productId: rows[0]!.id, rename };
}

describe('SIGTERM', () => {
  it('reports not ready, lets the mutation in flight commit, refuses new work, and exits 0', async () => {
    // Writers to `product` wait behind the lock: the mutation will be in flight at SIGTERM.
    const { sql, server, url, productId, rename } = await startWithLockedProduct('SHUT-0001', {
      SHUTDOWN_DELAY_MS: '500',
    });
    const mutation = rename('name version').then((r) => r.json());
    await sleep(300);

    server.child.kill('SIGTERM');
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
    expect(await server.exited).toBe(0);
    const after = await sql.query('select name, version from product where id = $1', [productId]);
    expect(after.rows).toEqual([{ name: 'After', version: 2 }]);
    const leftover = await sql.query(
      "select count(*)::int as n from pg_stat_activity where datname = current_database() and application_name like 'catalog-graphql%'",
    );
    expect(leftover.rows[0]).toEqual({ n: 0 }); // the pool was closed, not abandoned
    await sql.end();
    expect(server.output()).toContain('shutting down');
  }, 60_000);

  it('lets operations whose clients have left finish before it closes the pool', async () => {
    // The mutation waits behind the lock on the pool's only connection, and a read waits for
    // that connection. Both clients give up and go before SIGTERM, so no HTTP connection holds
    // the server open: only the operations themselves are still running.
    const { sql, server, url, productId, rename } = await startWithLockedProduct('SHUT-0002', {
      DB_POOL_MIN: '1',
      DB_POOL_MAX: '1',
    });
    const client = new AbortController();
    const mutation = rename('name', client.signal).catch(() => 'gone');
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

    server.child.kill('SIGTERM');
    await sleep(500);
    expect(server.child.exitCode).toBeNull(); // still waiting for the operation
    await sql.query('commit');
    expect(await server.exited).toBe(0);

    // A write that had started is not cut off half-way by the pool closing: it committed.
    const after = await sql.query('select name from product where id = $1', [productId]);
    expect(after.rows).toEqual([{ name: 'After' }]);
    expect(server.output()).not.toMatch(/"level":50/); // nothing logged as an error
    await sql.end();
  }, 60_000);
});
