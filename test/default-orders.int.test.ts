import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { acquirePooledClient, releasePooledClient } from '../src/db/driver';
import { createCategory, createProducts, createReviews } from './support/factories';
import { startTestServer, type TestServer } from './support/server';

/**
 * Every order the API offers is read off an index, never sorted per request. The SQL the server
 * sends for each document is captured as knex announces it (every statement, the driver-direct
 * reads included: src/db/driver/knex-events.ts) and EXPLAINed with seq scans and sorts switched
 * off: PostgreSQL then sorts only when no index can give the order, so this holds at test sizes.
 * Without the right index it may instead walk another index in order and filter its rows (all of
 * them, for a category whose products are old): a Filter on product or review fails it too.
 */

/** A node of EXPLAIN (FORMAT JSON)'s tree, the fields read here. */
interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  'Index Name'?: string;
  Filter?: string;
  Plans?: PlanNode[];
}

/** The tables whose orders need an index: category (a few dozen rows) is sorted, by design. */
const WATCHED = new Set(['product', 'review']);

/** What reads more rows than the page: a Sort, or product/review read whole or filtered. */
function problems(node: PlanNode): string[] {
  const table = node['Relation Name'];
  const own = /Sort$/.test(node['Node Type'])
    ? [node['Node Type']]
    : table && WATCHED.has(table) && (node['Node Type'] === 'Seq Scan' || node.Filter)
      ? [`${node['Node Type']} on ${table} ${node['Index Name'] ?? ''} filtering ${node.Filter}`]
      : [];
  return [...own, ...(node.Plans ?? []).flatMap(problems)];
}

describe('default orders', () => {
  let server: TestServer;
  const captured: { sql: string; bindings: readonly unknown[] }[] = [];

  beforeAll(async () => {
    server = await startTestServer();
    const category = await createCategory(server.orm);
    const products = await createProducts(
      server.orm,
      Array.from({ length: 12 }, (_, i) => ({
        category,
        createdAt: new Date(Date.UTC(2026, 0, 1, 0, i)),
      })),
    );
    await createReviews(server.orm, products[0]!, [5, 4, 3, 2]);
    server.orm.em
      .getConnection()
      .getKnex()
      .on('query', (query: { sql: string; bindings?: readonly unknown[] }) => {
        captured.push({ sql: query.sql, bindings: query.bindings ?? [] });
      });
  });

  afterAll(() => server.close());

  /** The plans of the statements a document made the server send that read product or review. */
  async function plansOf(query: string, variables?: Record<string, unknown>) {
    captured.splice(0);
    const response = await server.gql(query, variables);
    expect(response.errors).toBeUndefined();
    const reads = captured.filter(
      (s) => /^\s*(with|select)\b/i.test(s.sql) && /\b(product|review)\b/.test(s.sql),
    );
    expect(reads.length).toBeGreaterThan(0);
    const knex = server.orm.em.getConnection().getKnex();
    const client = await acquirePooledClient(knex);
    try {
      await client.query('begin');
      await client.query('set local enable_seqscan = off');
      await client.query('set local enable_sort = off');
      const plans = [];
      for (const { sql, bindings } of reads) {
        const { rows } = await client.query<{ 'QUERY PLAN': [{ Plan: PlanNode }] }>(
          `explain (format json) ${sql}`,
          [...bindings],
        );
        plans.push({ sql, problems: problems(rows[0]!['QUERY PLAN'][0].Plan) });
      }
      return plans;
    } finally {
      await client.query('rollback');
      await releasePooledClient(knex, client);
    }
  }

  /** Ids of rows the documents read (the ones made in beforeAll). */
  interface Ids {
    productId: number;
    categoryId: number;
  }
  const page = `edges { node { id } }`;
  const byField = ['NAME', 'PRICE', 'CREATED_AT', 'RATING'].flatMap((field) =>
    ['ASC', 'DESC'].map((direction) => `{ field: ${field}, direction: ${direction} }`),
  );
  const orders: [string, (ids: Ids) => string][] = [
    ['products(first: N), newest first', () => `{ products(first: 5) { ${page} } }`],
    ['products(last: N), newest first read backward', () => `{ products(last: 5) { ${page} } }`],
    [
      'categories { products(first: N) }, newest first per category',
      () => `{ categories { id products(first: 5) { ${page} } } }`,
    ],
    [
      'products(filter: { categoryId }), newest first',
      ({ categoryId }) =>
        `{ products(first: 5, filter: { categoryId: "${categoryId}" }) { ${page} } }`,
    ],
    [
      'product { reviews(first: N) }, newest first',
      ({ productId }) => `{ product(id: "${productId}") { reviews(first: 2) { ${page} } } }`,
    ],
    [
      'categories { products } → reviews(first: N), as W3 reads them',
      () =>
        `{ categories { products(first: 5) { edges { node { reviews(first: 3) { ${page} } } } } } }`,
    ],
    ...byField.map((order): [string, () => string] => [
      `products(orderBy: ${order})`,
      () => `{ products(first: 5, orderBy: ${order}) { ${page} } }`,
    ]),
    ...byField.map((order): [string, () => string] => [
      `categories { products(orderBy: ${order}) }`,
      () => `{ categories { products(first: 5, orderBy: ${order}) { ${page} } } }`,
    ]),
  ];

  it.each(orders)('reads %s off an index: no Sort, no filtered scan', async (_name, document) => {
    const [ids] = await server.sql<Ids>(
      `select id as "productId", category_id as "categoryId" from product
        where category_id is not null order by id limit 1`,
    );
    for (const plan of await plansOf(document(ids!))) {
      expect(plan).toEqual({ sql: plan.sql, problems: [] });
    }
  });
});
