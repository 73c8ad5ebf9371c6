import type { ApolloServerPlugin } from '@apollo/server';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { ValidationError } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import { Product } from '../catalog/product/product.entity';
import {
  createCategory,
  createProduct,
  createProducts,
  createReviews,
} from '../../test/support/factories';
import { startTestServer, type TestServer } from '../../test/support/server';
import { countStatements } from '../../test/support/sql-counter';
import type { Category } from '../catalog/category/category.entity';
import type { Context } from './context';
import type { Loaders } from './loaders';

/**
 * Remembers what every operation was given, to inspect it: its context, and its session as it
 * was while the operation ran (the context lets go of it once the request is answered).
 */
interface Seen {
  context: Context;
  em: EntityManager;
  loaders: Loaders;
}
const seenContexts: Seen[] = [];
const recordContexts: ApolloServerPlugin<Context> = {
  async requestDidStart({ contextValue }) {
    seenContexts.push({
      context: contextValue,
      em: contextValue.em,
      loaders: contextValue.loaders,
    });
  },
};

let server: TestServer;
let category: Category;

beforeAll(async () => {
  server = await startTestServer({
    apolloPlugins: [recordContexts],
    // These tests count the statements of one run (knex's events): no graphql-js shadow run.
    env: { GRAPHQL_SHADOW_EXECUTION: 'false' },
  });
  category = await createCategory(server.orm);
  const products = await createProducts(
    server.orm,
    Array.from({ length: 100 }, (_, i) => ({ name: `Batch ${i}`, category })),
  );
  for (const product of products.slice(0, 60)) {
    await createReviews(server.orm, product, [5, 4, 3, 2]);
  }
});

afterAll(() => server.close());

describe('the engine', () => {
  it('refuses request work on the global EntityManager', async () => {
    await expect(server.orm.em.find(Product, {})).rejects.toThrow(ValidationError);
  });

  it('serves 40 concurrent requests from one pool, never past its size', async () => {
    // Sample the server's sessions while the load runs: an engine (or pool) per request would
    // open one per request, far past DB_POOL_MAX.
    const samples: number[] = [];
    let loading = true;
    const sampler = (async () => {
      while (loading) {
        const [row] = await server.sql<{ connections: number }>(
          `select count(*)::int as connections from pg_stat_activity
            where datname = current_database() and application_name = 'catalog-graphql'`,
        );
        samples.push(row!.connections);
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    })();
    const responses = await Promise.all(
      Array.from({ length: 40 }, () =>
        server.gql('{ products(first: 20) { edges { node { id category { id } } } } }'),
      ),
    );
    loading = false;
    await sampler;
    expect(responses.every((r) => r.errors === undefined)).toBe(true);
    expect(samples.length).toBeGreaterThan(0);
    expect(Math.max(...samples)).toBeGreaterThan(0);
    expect(Math.max(...samples)).toBeLessThanOrEqual(server.config.DB_POOL_MAX);
  });
});

describe('the pool', () => {
  it('applies the configured statement timeout to every connection it opens', async () => {
    const em = server.orm.em.fork();
    const rows = await em
      .getConnection()
      .execute<{ statement_timeout: string }[]>('show statement_timeout');
    expect(rows[0]?.statement_timeout).toBe(`${server.config.DB_STATEMENT_TIMEOUT_MS / 1000}s`);
  });
});

describe('the session per request', () => {
  it('gives every concurrent request its own fork, identity map and loaders', async () => {
    seenContexts.splice(0);
    const product = await createProduct(server.orm, { category });
    await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        server.gql(
          `{ products(first: ${i + 1}) { totalCount } product(id: "${product.id}") { id } }`,
        ),
      ),
    );
    expect(seenContexts).toHaveLength(10);
    const ems = new Set(seenContexts.map((c) => c.em));
    const identityMaps = new Set(seenContexts.map((c) => c.em.getUnitOfWork().getIdentityMap()));
    const loaders = new Set(seenContexts.map((c) => c.loaders.reviewPage));
    expect(ems.size).toBe(10);
    expect(identityMaps.size).toBe(10);
    expect(loaders.size).toBe(10);
    expect(ems.has(server.orm.em)).toBe(false);
    // Reads are served as plain views through the request's loaders: nothing of them enters a
    // unit of work (the identity map is for what a mutation changes).
    for (const context of seenContexts) {
      expect(context.em.getUnitOfWork().getIdentityMap().values()).toEqual([]);
    }
  });

  it('never writes during a read: the fork has nothing to flush', async () => {
    seenContexts.splice(0);
    await server.gql('{ products(first: 5) { edges { node { id name } } } }');
    const [seen] = seenContexts;
    seen!.em.getUnitOfWork().computeChangeSets();
    expect(seen!.em.getUnitOfWork().getChangeSets()).toHaveLength(0);
  });

  it('drops the session when the request is answered', async () => {
    seenContexts.splice(0);
    const response = await server.gql('{ products(first: 1) { totalCount } }');
    expect(response.errors).toBeUndefined();
    const [seen] = seenContexts;
    // The context Apollo handed to the resolvers no longer reaches the fork or its loaders…
    expect(() => seen!.context.em).toThrow('This request has ended: its session is closed');
    expect(() => seen!.context.loaders).toThrow('This request has ended');
    // …while what describes the request stays readable (the request log reads it last).
    expect(seen!.context.report.operationType).toBe('query');
  });

  it('reads a row changed by plain SQL between two requests fresh, not from a cache', async () => {
    const product = await createProduct(server.orm, { name: 'Before', price: '1.00', category });
    const query = `{ product(id: "${product.id}") { name price reviewCount averageRating } }`;
    const before = await server.gql<{ product: Record<string, unknown> }>(query);
    expect(before.data?.product).toEqual({
      name: 'Before',
      price: '1.00',
      reviewCount: 0,
      averageRating: null,
    });

    await server.sql('update product set name = $1, price = $2 where id = $3', [
      'After',
      '2.50',
      product.id,
    ]);
    await server.sql(
      `insert into review (product_id, rating, author) values ($1, 4, 'sql'), ($1, 1, 'sql')`,
      [product.id],
    );

    const after = await server.gql<{ product: Record<string, unknown> }>(query);
    expect(after.data?.product).toEqual({
      name: 'After',
      price: '2.50',
      reviewCount: 2,
      averageRating: 2.5,
    });
  });
});

describe('SQL statements per operation', () => {
  const DEEP = (first: number) => `{
    products(first: ${first}, filter: { categoryId: "CATEGORY" }, orderBy: { field: NAME }) {
      totalCount
      edges { node {
        id name price reviewCount averageRating
        category { id name productCount }
        reviews(first: 3) { totalCount edges { node { id rating author product { id } } } }
      } }
    }
  }`;

  async function statementsFor(query: string): Promise<string[]> {
    const counter = countStatements(server.orm);
    try {
      const response = await server.gql(query.replace('CATEGORY', String(category.id)));
      expect(response.errors).toBeUndefined();
      return [...counter.statements];
    } finally {
      counter.stop();
    }
  }

  it('are the same, few, for 5 products and for 100', async () => {
    const five = await statementsFor(DEEP(5));
    const hundred = await statementsFor(DEEP(100));
    // the page with each product's category, the count, the categories' product counts, the
    // first reviews of every product
    expect(five).toHaveLength(4);
    expect(hundred).toHaveLength(five.length);
  });

  it('do not grow with the number of categories either', async () => {
    await createCategory(server.orm);
    await createCategory(server.orm);
    const query = `{ categories { id productCount products(first: 10) { totalCount edges { node { id category { id } reviews(first: 2) { edges { node { id } } } } } } } }`;
    const statements = await statementsFor(query);
    // categories, their pages, their counts, reviews (categories of products are in the map)
    expect(statements).toHaveLength(4);
  });

  it('page reviews in the order of their index, not of the epoch column they select', async () => {
    const statements = await statementsFor(DEEP(5));
    const reviewPage = statements.find((s) => /from review/.test(s))!;
    const plan = (await server.sql<{ 'QUERY PLAN': string }>(`explain ${reviewPage}`))
      .map((row) => row['QUERY PLAN'])
      .join('\n');
    // Sorting by the selected epoch expression is what keeps the index from feeding the LIMIT
    // (whether the planner picks the index at all depends on the table's size).
    expect(plan).not.toMatch(/Sort Key: .*EXTRACT/i);
  });

  it('reach the page rows once, in a single SELECT with LIMIT', async () => {
    const statements = await statementsFor(DEEP(100));
    const pageReads = statements.filter((s) => /from "product"/.test(s) && /limit/i.test(s));
    expect(pageReads).toHaveLength(1);
  });
});
