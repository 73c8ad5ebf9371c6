import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { createCategory, createProduct, createReviews } from '../../test/support/factories';
import { poolStats } from '../db/pool-stats';
import { adminQuery } from '../../test/global-setup';
import { startTestServer, type TestServer } from '../../test/support/server';

/** Anything in an error response that would tell an attacker about the server's insides. */
const LEAKS =
  /select|insert|from\s|review_x|relation|\$1|127\.0\.0\.1|localhost|:\d{4,5}|postgres|knex|at .*\.(js|ts)/i;

describe('errors a client must not learn from', () => {
  let server: TestServer;
  let productId: number;

  beforeAll(async () => {
    server = await startTestServer();
    const category = await createCategory(server.orm);
    const product = await createProduct(server.orm, { category });
    await createReviews(server.orm, product, [4]);
    productId = product.id;
  });
  afterEach(() => server.sql('alter table if exists review_x rename to review'));
  afterAll(() => server.close());

  it('masks a failing statement as INTERNAL_SERVER_ERROR: no SQL, no table, no stack', async () => {
    // The driver fails for real: the table the reviews query needs is gone.
    await server.sql('alter table review rename to review_x');
    const response = await server.gql(
      `{ product(id: "${productId}") { name reviews(first: 2) { edges { node { id } } } } }`,
    );
    expect(response.status).toBe(200);
    expect(response.errors).toEqual([
      {
        message: 'Internal server error',
        locations: [expect.any(Object)],
        path: ['product', 'reviews'],
        extensions: { code: 'INTERNAL_SERVER_ERROR' },
      },
    ]);
    expect(JSON.stringify(response)).not.toMatch(LEAKS);
  });

  it('keeps serving afterwards, with every connection back in the pool', async () => {
    await server.sql('alter table review rename to review_x');
    await server.gql(
      `{ product(id: "${productId}") { reviews { totalCount edges { node { id } } } } }`,
    );
    await server.sql('alter table review_x rename to review');
    const response = await server.gql(
      `{ product(id: "${productId}") { reviews { edges { node { rating } } } } }`,
    );
    expect(response.errors).toBeUndefined();
    expect(poolStats(server.orm)).toMatchObject({ used: 0, pendingAcquires: 0 });
  });
});

describe('a database that cannot serve', () => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startTestServer({
      env: { DB_POOL_MAX: '1', DB_POOL_MIN: '0', DB_ACQUIRE_TIMEOUT_MS: '300' },
    });
  });
  afterAll(() => server.close());

  it('answers SERVICE_UNAVAILABLE quickly when the pool has no free connection', async () => {
    // Hold the pool's only connection in a slow statement, as a stuck request would.
    const knex = server.orm.em.getConnection().getKnex();
    const hog = knex.raw('select pg_sleep(1.5)').then(() => undefined);
    await new Promise((resolve) => setTimeout(resolve, 100));

    const response = await server.gql('{ products(first: 1) { edges { node { id } } } }');
    expect(response.errors?.[0]).toMatchObject({
      message: 'The database is unavailable; retry shortly.',
      extensions: { code: 'SERVICE_UNAVAILABLE' },
    });
    expect(JSON.stringify(response)).not.toMatch(LEAKS);

    await hog;
    const recovered = await server.gql('{ products(first: 1) { totalCount } }');
    expect(recovered.errors).toBeUndefined();
  });

  it('reports not ready and answers SERVICE_UNAVAILABLE when its database is gone', async () => {
    expect((await fetch(`${server.url}/health/ready`)).status).toBe(200);
    const [row] = await server.sql<{ name: string }>('select current_database() as name');
    // `with (force)` ends the pool's open sessions too, as a database failover would.
    await adminQuery(
      process.env.TEST_ADMIN_DATABASE_URL!,
      `drop database ${row!.name} with (force)`,
    );

    const ready = await fetch(`${server.url}/health/ready`);
    expect(ready.status).toBe(503);
    expect(await ready.json()).toEqual({ status: 'unavailable', reason: 'database unreachable' });
    expect((await fetch(`${server.url}/health/live`)).status).toBe(200);

    const response = await server.gql('{ categories { id } }');
    expect(response.errors?.[0]?.extensions?.code).toBe('SERVICE_UNAVAILABLE');
    expect(JSON.stringify(response)).not.toMatch(LEAKS);
  });
});
