import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createCategory, createProduct } from '../../test/support/factories';
import { startTestServer, type TestServer } from '../../test/support/server';
import { selectRows } from './sql';

const PRODUCT = `query Product($id: ID!) { product(id: $id) { name category { name } } }`;
const CATEGORY = `query Category($id: ID!) { category(id: $id) { name } }`;
/** Two products in one tick: one batch of two ids. */
const TWO_PRODUCTS = `query Two($a: ID!, $b: ID!) { a: product(id: $a) { name } b: product(id: $b) { name } }`;

/**
 * The statements prepared on the server's connection. With a pool of one, the reads before
 * ran on the same connection as this one (pg_prepared_statements lists only its own session's).
 */
async function preparedOnTheConnection(server: TestServer): Promise<string[]> {
  return (await plansOnTheConnection(server)).map((row) => row.name);
}

/** How PostgreSQL planned each of those: a generic plan, kept, or a custom one every time. */
function plansOnTheConnection(server: TestServer) {
  return selectRows<{ name: string; generic: number; custom: number }>(
    server.orm.em.fork(),
    `select name, generic_plans::int as generic, custom_plans::int as custom
       from pg_prepared_statements order by name`,
  );
}

describe.each([
  ['by default', {}, ['categories_by_id_one', 'products_by_id', 'products_by_id_one']],
  ['with DB_PREPARED_STATEMENTS=false', { DB_PREPARED_STATEMENTS: 'false' }, []],
])('reads by id %s', (_name, env, expected) => {
  let server: TestServer;
  let ids: { product: string; other: string; category: string };

  beforeAll(async () => {
    server = await startTestServer({ env: { DB_POOL_MAX: '1', DB_POOL_MIN: '1', ...env } });
    const category = await createCategory(server.orm, { name: 'Garden' });
    const product = await createProduct(server.orm, { name: 'Rake', category });
    const other = await createProduct(server.orm, { name: 'Hoe', category });
    ids = { product: String(product.id), other: String(other.id), category: String(category.id) };
  });
  afterAll(() => server.close());

  it('answer the same, every time, prepared once per connection or not at all', async () => {
    for (let i = 0; i < 3; i++) {
      const product = await server.gql(PRODUCT, { id: ids.product });
      expect(product.data).toEqual({ product: { name: 'Rake', category: { name: 'Garden' } } });
      const category = await server.gql(CATEGORY, { id: ids.category });
      expect(category.data).toEqual({ category: { name: 'Garden' } });
      const two = await server.gql(TWO_PRODUCTS, { a: ids.product, b: ids.other });
      expect(two.data).toEqual({ a: { name: 'Rake' }, b: { name: 'Hoe' } });
    }
    expect(await server.gql(PRODUCT, { id: '999999' })).toMatchObject({ data: { product: null } });
    expect(await preparedOnTheConnection(server)).toEqual(expected);
  });

  it('keep answering after a migration changes a column they return (prepared again)', async () => {
    expect((await server.gql(PRODUCT, { id: ids.product })).errors).toBeUndefined();
    // The connection prepared products_by_id when sku was varchar(64).
    await server.sql('alter table product alter column sku type varchar(100)');
    try {
      for (let i = 0; i < 2; i++) {
        const product = await server.gql(PRODUCT, { id: ids.product });
        expect(product.errors).toBeUndefined();
        expect(product.data).toEqual({ product: { name: 'Rake', category: { name: 'Garden' } } });
      }
    } finally {
      await server.sql('alter table product alter column sku type varchar(64)');
    }
  });
});

describe('a read by one id', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ env: { DB_POOL_MAX: '1', DB_POOL_MIN: '1' } });
  });
  afterAll(() => server.close());

  it('is planned once per connection, not at every execution', async () => {
    // A catalog's worth of rows, so that the planner's guesses are a catalog's.
    await server.sql(`insert into product (sku, name, description, price, stock, created_at, updated_at)
      select 'SKU-' || g, 'Product ' || g, '', 1, 1, now(), now() from generate_series(1, 10000) g`);
    await server.sql('analyze product');
    const product = await createProduct(server.orm, { name: 'Rake' });
    // PostgreSQL tries five custom plans, then keeps the generic one if it costs no more: it does
    // for `id = $1`, never for `id = any($1)` over as many rows (ByIdStatement).
    for (let i = 0; i < 12; i++) {
      expect((await server.gql(PRODUCT, { id: String(product.id) })).errors).toBeUndefined();
    }
    const plans = await plansOnTheConnection(server);
    expect(plans.find((p) => p.name === 'products_by_id_one')).toMatchObject({
      generic: expect.any(Number),
      custom: 5,
    });
    expect(plans.find((p) => p.name === 'products_by_id_one')!.generic).toBeGreaterThanOrEqual(7);
  });
});
