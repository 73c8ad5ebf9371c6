import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createCategory, createProduct } from '../../test/support/factories';
import { startTestServer, type TestServer } from '../../test/support/server';
import { selectRows } from './sql';

const PRODUCT = `query Product($id: ID!) { product(id: $id) { name category { name } } }`;
const CATEGORY = `query Category($id: ID!) { category(id: $id) { name } }`;

/**
 * The statements prepared on the server's connection. With a pool of one, the reads before
 * ran on the same connection as this one (pg_prepared_statements lists only its own session's).
 */
async function preparedOnTheConnection(server: TestServer): Promise<string[]> {
  const rows = await selectRows<{ name: string }>(
    server.orm.em.fork(),
    'select name from pg_prepared_statements order by name',
  );
  return rows.map((row) => row.name);
}

describe.each([
  ['by default', {}, ['categories_by_id', 'products_by_id']],
  ['with DB_PREPARED_STATEMENTS=false', { DB_PREPARED_STATEMENTS: 'false' }, []],
])('reads by id %s', (_name, env, expected) => {
  let server: TestServer;
  let ids: { product: string; category: string };

  beforeAll(async () => {
    server = await startTestServer({ env: { DB_POOL_MAX: '1', DB_POOL_MIN: '1', ...env } });
    const category = await createCategory(server.orm, { name: 'Garden' });
    const product = await createProduct(server.orm, { name: 'Rake', category });
    ids = { product: String(product.id), category: String(category.id) };
  });
  afterAll(() => server.close());

  it('answer the same, every time, prepared once per connection or not at all', async () => {
    for (let i = 0; i < 3; i++) {
      const product = await server.gql(PRODUCT, { id: ids.product });
      expect(product.data).toEqual({ product: { name: 'Rake', category: { name: 'Garden' } } });
      const category = await server.gql(CATEGORY, { id: ids.category });
      expect(category.data).toEqual({ category: { name: 'Garden' } });
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
