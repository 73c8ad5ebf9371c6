import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import {
  createCategory,
  createProduct,
  createReviews,
  unique,
} from '../../../test/support/factories';
import { expectServerHealthy } from '../../../test/support/health';
import { startTestServer, type TestServer } from '../../../test/support/server';
import { createContext } from '../../graphql/context';
import { createProduct as createProductCommand } from './product.writes';
import pino from 'pino';
import type { Category } from '../category/category.entity';

let server: TestServer;
let admin: string;
let shopper: string;
let category: Category;

beforeAll(async () => {
  server = await startTestServer();
  admin = await server.token({ sub: 'root', roles: ['admin'] });
  shopper = await server.token({ sub: 'sam', name: 'Sam' });
  category = await createCategory(server.orm);
});
afterEach(() => expectServerHealthy(server));
afterAll(() => server.close());

const CREATE = `mutation ($input: CreateProductInput!) {
  createProduct(input: $input) { id sku name description price stock version category { id } }
}`;
const UPDATE = `mutation ($id: ID!, $input: UpdateProductInput!) {
  updateProduct(id: $id, input: $input) { id sku name description price stock version category { id } }
}`;

type ProductResult = {
  id: string;
  sku: string;
  name: string;
  description: string | null;
  price: string;
  stock: number;
  version: number;
  category: { id: string } | null;
};

const skuCount = async (sku: string) =>
  (
    await server.sql<{ n: number }>('select count(*)::int as n from product where sku = $1', [sku])
  )[0]!.n;

describe('Mutation.createProduct', () => {
  it('creates the product, trimmed, with an exact price', async () => {
    const sku = unique('NEW').toUpperCase();
    const response = await server.gql<{ createProduct: ProductResult }>(
      CREATE,
      {
        input: {
          sku,
          name: '  Desk Lamp  ',
          price: '19.90',
          stock: 3,
          categoryId: String(category.id),
        },
      },
      { token: admin },
    );
    expect(response.errors).toBeUndefined();
    expect(response.data?.createProduct).toMatchObject({
      sku,
      name: 'Desk Lamp',
      description: null,
      price: '19.90',
      stock: 3,
      version: 1,
      category: { id: String(category.id) },
    });
    const [row] = await server.sql('select name, price::text, stock from product where sku = $1', [
      sku,
    ]);
    expect(row).toEqual({ name: 'Desk Lamp', price: '19.90', stock: 3 });
  });

  it('answers with the price as stored, as any later read gives it ("19.9" → "19.90")', async () => {
    const sku = unique('CENTS').toUpperCase();
    const created = await server.gql<{ createProduct: ProductResult & { id: string } }>(
      CREATE,
      { input: { sku, name: 'Mug', price: '019.9', stock: 1 } },
      { token: admin },
    );
    expect(created.errors).toBeUndefined();
    const { id, price } = created.data!.createProduct;
    const read = await server.gql<{ product: { price: string } }>(
      `{ product(id: "${id}") { price } }`,
    );
    expect([price, read.data?.product.price]).toEqual(['19.90', '19.90']);
  });

  it('reports every invalid field at once, and writes nothing', async () => {
    const response = await server.gql(
      CREATE,
      {
        input: {
          sku: 'bad sku',
          name: '   ',
          price: '-1.234',
          stock: -2,
          description: 'x'.repeat(5001),
        },
      },
      { token: admin },
    );
    expect(response.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    const fields = response.errors?.[0]?.extensions?.fields ?? [];
    expect(fields.map((f) => `${f.field}:${f.constraint}`).sort()).toEqual([
      'input.description:maxLength',
      'input.name:isName',
      'input.price:isMoney',
      'input.sku:isSku',
      'input.stock:min',
    ]);
    expect(await skuCount('bad sku')).toBe(0);
  });

  it('refuses NUL characters in any text', async () => {
    const sku = unique('NUL').toUpperCase();
    const response = await server.gql(
      CREATE,
      { input: { sku, name: 'a\u0000b', price: '1' } },
      { token: admin },
    );
    expect(response.errors?.[0]?.extensions).toMatchObject({
      code: 'BAD_USER_INPUT',
      fields: [expect.objectContaining({ field: 'input.name', constraint: 'noNulCharacters' })],
    });
    expect(await skuCount(sku)).toBe(0);
  });

  it('refuses a taken sku as CONFLICT naming the field', async () => {
    const existing = await createProduct(server.orm);
    const response = await server.gql(
      CREATE,
      { input: { sku: existing.sku, name: 'Copy', price: '1.00' } },
      { token: admin },
    );
    expect(response.errors?.[0]?.extensions).toMatchObject({ code: 'CONFLICT', field: 'sku' });
    expect(await skuCount(existing.sku)).toBe(1);
  });

  it('lets exactly one of 20 racing creates of the same sku through', async () => {
    const sku = unique('RACE').toUpperCase();
    const responses = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        server.gql(CREATE, { input: { sku, name: `Racer ${i}`, price: '5.00' } }, { token: admin }),
      ),
    );
    const codes = responses.map((r) => r.errors?.[0]?.extensions?.code ?? 'OK');
    expect(codes.filter((c) => c === 'OK')).toHaveLength(1);
    expect(codes.filter((c) => c === 'CONFLICT')).toHaveLength(19);
    expect(await skuCount(sku)).toBe(1);
  });

  it("leaves the request's session usable after a failed flush: its next write commits", async () => {
    // Non-null mutation fields stop a GraphQL request at the first failure, so this drives the
    // request's own EntityManager (from createContext) through the service directly.
    const { em } = createContext(server.orm, { id: 'test', log: pino({ level: 'silent' }) }, null);
    const taken = await createProduct(server.orm);
    const fresh = unique('AFTER').toUpperCase();
    await expect(
      createProductCommand(em, { sku: taken.sku, name: 'Dup', price: '1', stock: 0 }),
    ).rejects.toMatchObject({ extensions: { code: 'CONFLICT', field: 'sku' } });
    const created = await createProductCommand(em, {
      sku: fresh,
      name: 'Fresh',
      price: '1',
      stock: 0,
    });
    expect(created.id).toEqual(expect.any(Number));
    expect(await skuCount(fresh)).toBe(1);
  });

  it('is NOT_FOUND for a category that does not exist', async () => {
    const sku = unique('NOCAT').toUpperCase();
    const response = await server.gql(
      CREATE,
      { input: { sku, name: 'Orphan', price: '1', categoryId: '999999' } },
      { token: admin },
    );
    expect(response.errors?.[0]?.extensions).toMatchObject({
      code: 'NOT_FOUND',
      field: 'input.categoryId',
    });
    expect(await skuCount(sku)).toBe(0);
  });

  it('needs the admin role', async () => {
    const input = { sku: unique('AUTH').toUpperCase(), name: 'x', price: '1' };
    const anonymous = await server.gql(CREATE, { input });
    const signedIn = await server.gql(CREATE, { input }, { token: shopper });
    expect(anonymous.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    expect(signedIn.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    expect(await skuCount(input.sku)).toBe(0);
  });
});

describe('Mutation.updateProduct', () => {
  it('changes only the fields given; null clears the optional ones', async () => {
    const product = await createProduct(server.orm, {
      name: 'Old',
      description: 'Text',
      price: '9.99',
      category,
    });
    const response = await server.gql<{ updateProduct: ProductResult }>(
      UPDATE,
      { id: String(product.id), input: { name: 'New', description: null, categoryId: null } },
      { token: admin },
    );
    expect(response.errors).toBeUndefined();
    expect(response.data?.updateProduct).toMatchObject({
      name: 'New',
      description: null,
      price: '9.99',
      sku: product.sku,
      category: null,
      version: 2,
    });
  });

  it('refuses null for a required field', async () => {
    const product = await createProduct(server.orm);
    const response = await server.gql(
      UPDATE,
      { id: String(product.id), input: { name: null, price: null } },
      { token: admin },
    );
    expect(response.errors?.[0]?.extensions?.fields?.map((f) => f.field).sort()).toEqual([
      'input.name',
      'input.price',
    ]);
  });

  it('refuses a stale expectedVersion as CONFLICT with the current version, writing nothing', async () => {
    const product = await createProduct(server.orm, { name: 'Versioned' });
    await server.gql(UPDATE, { id: String(product.id), input: { stock: 50 } }, { token: admin });
    const response = await server.gql(
      UPDATE,
      { id: String(product.id), input: { name: 'Stale write', expectedVersion: 1 } },
      { token: admin },
    );
    expect(response.errors?.[0]?.extensions).toMatchObject({ code: 'CONFLICT', currentVersion: 2 });
    const [row] = await server.sql('select name, version from product where id = $1', [product.id]);
    expect(row).toEqual({ name: 'Versioned', version: 2 });
  });

  it('lets one of two concurrent updates from the same version win; the other is CONFLICT', async () => {
    const product = await createProduct(server.orm, { name: 'Contended' });
    const [a, b] = await Promise.all(
      ['Writer A', 'Writer B'].map((name) =>
        server.gql(
          UPDATE,
          { id: String(product.id), input: { name, expectedVersion: 1 } },
          { token: admin },
        ),
      ),
    );
    const outcomes = [a, b].map((r) => r!.errors?.[0]?.extensions?.code ?? 'OK').sort();
    expect(outcomes).toEqual(['CONFLICT', 'OK']);
    const winner = [a, b].find((r) => !r!.errors)!.data as { updateProduct: ProductResult };
    const [row] = await server.sql('select name, version from product where id = $1', [product.id]);
    expect(row).toEqual({ name: winner.updateProduct.name, version: 2 });
  });

  it('never lets a racing update silently overwrite another, even without expectedVersion', async () => {
    const product = await createProduct(server.orm, { name: 'Raced' });
    // Hold the first UPDATE in the database long enough for the second to read version 1 too.
    await server.sql(`
      create or replace function slow_named_update() returns trigger language plpgsql as $$
      begin if new.name like 'Slow %' then perform pg_sleep(0.3); end if; return new; end $$`);
    await server.sql(
      'create trigger slow_named_update before update on product for each row execute function slow_named_update()',
    );
    try {
      const responses = await Promise.all(
        ['Slow A', 'Slow B'].map((name) =>
          server.gql(UPDATE, { id: String(product.id), input: { name } }, { token: admin }),
        ),
      );
      const codes = responses.map((r) => r.errors?.[0]?.extensions?.code ?? 'OK').sort();
      expect(codes).toEqual(['CONFLICT', 'OK']);
      const conflict = responses.find((r) => r.errors)!;
      expect(conflict.errors?.[0]?.extensions?.currentVersion).toBe(2);
    } finally {
      await server.sql('drop trigger slow_named_update on product');
    }
  });

  it('is NOT_FOUND for a product that does not exist', async () => {
    const response = await server.gql(
      UPDATE,
      { id: '987654', input: { name: 'x' } },
      { token: admin },
    );
    expect(response.errors?.[0]?.extensions).toMatchObject({ code: 'NOT_FOUND', id: '987654' });
  });
});

describe('Mutation.deleteProduct', () => {
  it('deletes the product and its reviews together', async () => {
    const product = await createProduct(server.orm);
    await createReviews(server.orm, product, [5, 4, 3]);
    const response = await server.gql<{ deleteProduct: string }>(
      `mutation { deleteProduct(id: "${product.id}") }`,
      {},
      { token: admin },
    );
    expect(response.data?.deleteProduct).toBe(String(product.id));
    const [row] = await server.sql<{ products: number; reviews: number }>(
      `select (select count(*)::int from product where id = $1) as products,
              (select count(*)::int from review where product_id = $1) as reviews`,
      [product.id],
    );
    expect(row).toEqual({ products: 0, reviews: 0 });
    const again = await server.gql(
      `mutation { deleteProduct(id: "${product.id}") }`,
      {},
      { token: admin },
    );
    expect(again.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
  });
});

describe('Mutation.adjustStock', () => {
  const ADJUST = `mutation ($id: ID!, $delta: Int!) { adjustStock(id: $id, delta: $delta) { stock version } }`;

  it('never takes stock below zero: 50 concurrent takes of 1 from 10 → 10 succeed, 40 CONFLICT', async () => {
    const product = await createProduct(server.orm, { stock: 10 });
    const responses = await Promise.all(
      Array.from({ length: 50 }, () =>
        server.gql(ADJUST, { id: String(product.id), delta: -1 }, { token: admin }),
      ),
    );
    const codes = responses.map((r) => r.errors?.[0]?.extensions?.code ?? 'OK');
    expect(codes.filter((c) => c === 'OK')).toHaveLength(10);
    expect(codes.filter((c) => c === 'CONFLICT')).toHaveLength(40);
    const [row] = await server.sql('select stock, version from product where id = $1', [
      product.id,
    ]);
    expect(row).toEqual({ stock: 0, version: 11 });
  });

  it('adds stock, and refuses a zero or absurd delta', async () => {
    const product = await createProduct(server.orm, { stock: 1 });
    const added = await server.gql<{ adjustStock: { stock: number } }>(
      ADJUST,
      { id: String(product.id), delta: 4 },
      { token: admin },
    );
    expect(added.data?.adjustStock.stock).toBe(5);
    for (const delta of [0, 5_000_000]) {
      const refused = await server.gql(ADJUST, { id: String(product.id), delta }, { token: admin });
      expect(refused.errors?.[0]?.extensions).toMatchObject({
        code: 'BAD_USER_INPUT',
        fields: [{ field: 'delta' }],
      });
    }
    const missing = await server.gql(ADJUST, { id: '999999', delta: 1 }, { token: admin });
    expect(missing.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
  });
});
