import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import {
  createCategory,
  createProducts,
  createReviews,
  unique,
} from '../../../test/support/factories';
import { expectServerHealthy } from '../../../test/support/health';
import { startTestServer, type TestServer } from '../../../test/support/server';

let server: TestServer;
let admin: string;

beforeAll(async () => {
  server = await startTestServer();
  admin = await server.token({ sub: 'root', roles: ['admin'] });
});
afterEach(() => expectServerHealthy(server));
afterAll(() => server.close());

const CREATE = `mutation ($input: CreateCategoryInput!) { createCategory(input: $input) { id slug name productCount } }`;
const DELETE = `mutation ($id: ID!, $moveProductsTo: ID, $deleteProducts: Boolean) {
  deleteCategory(id: $id, moveProductsTo: $moveProductsTo, deleteProducts: $deleteProducts)
}`;

/** Everything a category delete could touch, read with plain SQL. */
async function snapshot() {
  return server.sql(`
    select (select json_agg(c order by c.id) from category c) as categories,
           (select json_agg(p order by p.id) from product p) as products,
           (select json_agg(r order by r.id) from review r) as reviews`);
}

describe('Mutation.createCategory / updateCategory', () => {
  it('creates a category and refuses its slug a second time', async () => {
    const slug = unique('garden').toLowerCase();
    const created = await server.gql<{
      createCategory: { slug: string; name: string; productCount: number };
    }>(CREATE, { input: { slug, name: ' Garden ' } }, { token: admin });
    expect(created.data?.createCategory).toMatchObject({ slug, name: 'Garden', productCount: 0 });
    const again = await server.gql(CREATE, { input: { slug, name: 'Other' } }, { token: admin });
    expect(again.errors?.[0]?.extensions).toMatchObject({ code: 'CONFLICT', field: 'slug' });
  });

  it('validates slug and name together', async () => {
    const response = await server.gql(
      CREATE,
      { input: { slug: 'Not A Slug', name: '' } },
      { token: admin },
    );
    expect(response.errors?.[0]?.extensions?.fields?.map((f) => f.field).sort()).toEqual([
      'input.name',
      'input.slug',
    ]);
  });

  it('renames a category, and is NOT_FOUND for one that does not exist', async () => {
    const category = await createCategory(server.orm);
    const renamed = await server.gql<{ updateCategory: { name: string; slug: string } }>(
      `mutation ($id: ID!) { updateCategory(id: $id, input: { name: "Renamed" }) { name slug } }`,
      { id: String(category.id) },
      { token: admin },
    );
    expect(renamed.data?.updateCategory).toEqual({ name: 'Renamed', slug: category.slug });
    const missing = await server.gql(
      `mutation { updateCategory(id: "424242", input: { name: "x" }) { id } }`,
      {},
      { token: admin },
    );
    expect(missing.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
  });

  it('needs the admin role', async () => {
    const reader = await server.token({ sub: 'reader' });
    const response = await server.gql(
      CREATE,
      { input: { slug: unique('x').toLowerCase(), name: 'X' } },
      { token: reader },
    );
    expect(response.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });
});

describe('Mutation.deleteCategory', () => {
  it('deletes an empty category', async () => {
    const category = await createCategory(server.orm);
    const response = await server.gql(DELETE, { id: String(category.id) }, { token: admin });
    expect(response.data).toEqual({ deleteCategory: String(category.id) });
  });

  it('refuses a category that still has products, unless told where they go', async () => {
    const category = await createCategory(server.orm);
    await createProducts(server.orm, [{ category }, { category }]);
    const before = await snapshot();
    const response = await server.gql(DELETE, { id: String(category.id) }, { token: admin });
    expect(response.errors?.[0]?.extensions).toMatchObject({ code: 'CONFLICT', productCount: 2 });
    expect(await snapshot()).toEqual(before);
  });

  it('moves the products to another category first', async () => {
    const [from, to] = [await createCategory(server.orm), await createCategory(server.orm)];
    const products = await createProducts(server.orm, [{ category: from }, { category: from }]);
    const response = await server.gql(
      DELETE,
      { id: String(from.id), moveProductsTo: String(to.id) },
      { token: admin },
    );
    expect(response.errors).toBeUndefined();
    const rows = await server.sql(
      'select category_id, version from product where id = any($1) order by id',
      [products.map((p) => p.id)],
    );
    expect(rows).toEqual([
      { category_id: to.id, version: 2 },
      { category_id: to.id, version: 2 },
    ]);
  });

  it('deletes the products and their reviews with it when asked', async () => {
    const category = await createCategory(server.orm);
    const [product] = await createProducts(server.orm, [{ category }]);
    await createReviews(server.orm, product!, [3, 4]);
    const response = await server.gql(
      DELETE,
      { id: String(category.id), deleteProducts: true },
      { token: admin },
    );
    expect(response.errors).toBeUndefined();
    const [row] = await server.sql<{ n: number }>(
      'select count(*)::int as n from review where product_id = $1',
      [product!.id],
    );
    expect(row!.n).toBe(0);
  });

  it('leaves the database exactly as before when it fails half-way', async () => {
    const category = await createCategory(server.orm);
    const [product] = await createProducts(server.orm, [{ category }, { category }, { category }]);
    await createReviews(server.orm, product!, [5, 1]);
    // The products and reviews are deleted first; then the category row itself refuses to go.
    await server.sql(`
      create or replace function refuse_category_delete() returns trigger language plpgsql as $$
      begin raise exception 'refused by test'; end $$`);
    await server.sql(`create trigger refuse_category_delete before delete on category
      for each row when (old.id = ${category.id}) execute function refuse_category_delete()`);
    try {
      const before = await snapshot();
      const response = await server.gql(
        DELETE,
        { id: String(category.id), deleteProducts: true },
        { token: admin },
      );
      expect(response.errors?.[0]?.extensions?.code).toBe('INTERNAL_SERVER_ERROR');
      expect(response.errors?.[0]?.message).toBe('Internal server error');
      expect(await snapshot()).toEqual(before);
    } finally {
      await server.sql('drop trigger refuse_category_delete on category');
    }
  });

  it('refuses moving products to the category itself, or both options at once', async () => {
    const category = await createCategory(server.orm);
    await createProducts(server.orm, [{ category }]);
    const self = await server.gql(
      DELETE,
      { id: String(category.id), moveProductsTo: String(category.id) },
      { token: admin },
    );
    expect(self.errors?.[0]?.extensions).toMatchObject({
      code: 'BAD_USER_INPUT',
      fields: [{ field: 'moveProductsTo' }],
    });
    const both = await server.gql(
      DELETE,
      { id: String(category.id), moveProductsTo: '1', deleteProducts: true },
      { token: admin },
    );
    expect(both.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    const nowhere = await server.gql(
      DELETE,
      { id: String(category.id), moveProductsTo: '777777' },
      { token: admin },
    );
    expect(nowhere.errors?.[0]?.extensions).toMatchObject({
      code: 'NOT_FOUND',
      field: 'moveProductsTo',
    });
  });
});
