import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import pg from 'pg';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { unique } from '../support/factories';
import { adminToken, codeOf, gql, startInstance, stopAll, type Instance } from './fleet';

/**
 * The write path's concurrency guarantees come from PostgreSQL (a unique index, the version
 * column, a conditional UPDATE), never from one process's memory: they hold with two processes
 * on one database, the racers split evenly between them.
 */
let database: TestDatabase;
let sql: pg.Client;
let instances: Instance[];
let token: string;

beforeAll(async () => {
  database = await createTestDatabase();
  sql = new pg.Client({ connectionString: database.url });
  sql.on('error', () => undefined); // the database is dropped in afterAll
  await sql.connect();
  token = await adminToken();
  instances = await Promise.all([startInstance(database.url), startInstance(database.url)]);
}, 120_000);
afterAll(async () => {
  await stopAll();
  await sql?.end();
  await database?.drop();
});

/** Racer `i` goes to instance `i % 2`. */
const racer = (i: number) => instances[i % 2]!.url;

async function insertProduct(stock: number): Promise<number> {
  const { rows } = await sql.query<{ id: number }>(
    "insert into product (sku, name, price, stock) values ($1, 'Raced', 1, $2) returning id",
    [unique('FLEET').toUpperCase(), stock],
  );
  return rows[0]!.id;
}

describe('two instances, one database', () => {
  it('lets exactly one of 20 racing creates of one sku through; the 19 others are CONFLICT', async () => {
    const sku = unique('FLEET-DUP').toUpperCase();
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        gql(
          racer(i),
          'mutation ($input: CreateProductInput!) { createProduct(input: $input) { id } }',
          { input: { sku, name: `Racer ${i}`, price: '5.00' } },
          token,
        ),
      ),
    );
    const codes = results.map(codeOf);
    expect(codes.filter((c) => c === 'OK')).toHaveLength(1);
    expect(codes.filter((c) => c === 'CONFLICT')).toHaveLength(19);
    expect(results.find((r) => r.errors)?.errors?.[0]?.extensions).toMatchObject({
      code: 'CONFLICT',
      field: 'sku',
    });
    const { rows } = await sql.query('select count(*)::int as n from product where sku = $1', [
      sku,
    ]);
    expect(rows).toEqual([{ n: 1 }]);
  });

  it('lets one of two racing updates from the same version win; the other is CONFLICT', async () => {
    const id = await insertProduct(1);
    const results = await Promise.all(
      ['Writer A', 'Writer B'].map((name, i) =>
        gql(
          racer(i),
          'mutation ($id: ID!, $input: UpdateProductInput!) { updateProduct(id: $id, input: $input) { name version } }',
          { id: String(id), input: { name, expectedVersion: 1 } },
          token,
        ),
      ),
    );
    expect(results.map(codeOf).sort()).toEqual(['CONFLICT', 'OK']);
    const winner = results.find((r) => !r.errors)!.data as { updateProduct: { name: string } };
    const { rows } = await sql.query('select name, version from product where id = $1', [id]);
    expect(rows).toEqual([{ name: winner.updateProduct.name, version: 2 }]);
  });

  it('never lets an update from one instance silently overwrite a racing one from the other', async () => {
    const id = await insertProduct(1);
    // Each UPDATE is held in the database, so both instances read version 1 before either writes.
    await sql.query(`
      create or replace function fleet_slow_update() returns trigger language plpgsql as $$
      begin if new.name like 'Slow %' then perform pg_sleep(0.3); end if; return new; end $$`);
    await sql.query(
      'create trigger fleet_slow_update before update on product for each row execute function fleet_slow_update()',
    );
    try {
      const results = await Promise.all(
        ['Slow A', 'Slow B'].map((name, i) =>
          gql(
            racer(i),
            'mutation ($id: ID!, $input: UpdateProductInput!) { updateProduct(id: $id, input: $input) { name version } }',
            { id: String(id), input: { name } },
            token,
          ),
        ),
      );
      expect(results.map(codeOf).sort()).toEqual(['CONFLICT', 'OK']);
      expect(results.find((r) => r.errors)?.errors?.[0]?.extensions?.currentVersion).toBe(2);
      const winner = results.find((r) => !r.errors)!.data as { updateProduct: { name: string } };
      const { rows } = await sql.query('select name, version from product where id = $1', [id]);
      expect(rows).toEqual([{ name: winner.updateProduct.name, version: 2 }]);
    } finally {
      await sql.query('drop trigger fleet_slow_update on product');
    }
  });

  it('never takes stock below zero under 50 racing takes; the final stock is what they left', async () => {
    const initial = 40;
    const id = await insertProduct(initial);
    // Takes of 1, 2 and 3: 100 asked for, 40 there, so many must be refused.
    const deltas = Array.from({ length: 50 }, (_, i) => -((i % 3) + 1));
    const results = await Promise.all(
      deltas.map((delta, i) =>
        gql<{ adjustStock: { stock: number } }>(
          racer(i),
          'mutation ($id: ID!, $delta: Int!) { adjustStock(id: $id, delta: $delta) { stock version } }',
          { id: String(id), delta },
          token,
        ),
      ),
    );
    const codes = results.map(codeOf);
    expect(codes.every((c) => c === 'OK' || c === 'CONFLICT')).toBe(true);
    const taken = deltas.filter((_, i) => codes[i] === 'OK').reduce((sum, d) => sum - d, 0);
    const applied = codes.filter((c) => c === 'OK').length;
    // Every answer saw a stock that was never negative.
    for (const result of results) {
      if (result.data) expect(result.data.adjustStock.stock).toBeGreaterThanOrEqual(0);
    }
    const { rows } = await sql.query<{ stock: number; version: number }>(
      'select stock, version from product where id = $1',
      [id],
    );
    expect(rows[0]).toEqual({ stock: initial - taken, version: 1 + applied });
    expect(rows[0]!.stock).toBeGreaterThanOrEqual(0);
    // Refused only when too little was left: at most 2 units remain unsold.
    expect(rows[0]!.stock).toBeLessThan(3);
    // Both instances took part in the successes (the split is by racer, so by construction).
    expect(new Set(results.map((r, i) => (r.data ? i % 2 : -1)).filter((x) => x >= 0)).size).toBe(
      2,
    );
  });
});
