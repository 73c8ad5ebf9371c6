import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createCategory, createProduct, createReviews } from '../../../test/support/factories';
import { startTestServer, type TestServer } from '../../../test/support/server';
import { pageLimitsOf } from '../../../test/support/sql-counter';
import type { Category } from '../category/category.entity';
import type { Product } from './product.entity';

let server: TestServer;
let category: Category;
let product: Product;

beforeAll(async () => {
  server = await startTestServer();
  category = await createCategory(server.orm, { name: 'Audio' });
  product = await createProduct(server.orm, {
    name: 'Headphones',
    description: 'Closed-back',
    price: '199.99',
    stock: 4,
    category,
  });
  await createReviews(server.orm, product, [5, 4, 4, 2, 5, 3, 1]);
});

afterAll(() => server.close());

interface ReviewPage {
  totalCount: number;
  edges: { cursor: string; node: { rating: number; title: string } }[];
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
}

describe('Query.product', () => {
  it('returns every field of the contract', async () => {
    const response = await server.gql<{ product: Record<string, unknown> }>(`{
      product(id: "${product.id}") {
        id sku name description price stock reviewCount averageRating createdAt updatedAt version
        category { id slug name }
      }
    }`);
    expect(response.errors).toBeUndefined();
    expect(response.data?.product).toEqual({
      id: String(product.id),
      sku: product.sku,
      name: 'Headphones',
      description: 'Closed-back',
      price: '199.99',
      stock: 4,
      reviewCount: 7,
      averageRating: 3.4286,
      createdAt: product.createdAt.toISOString(),
      updatedAt: product.updatedAt.toISOString(),
      version: 1,
      category: { id: String(category.id), slug: category.slug, name: 'Audio' },
    });
  });

  it('is null, not an error, for an id that does not exist', async () => {
    const response = await server.gql(
      '{ a: product(id: "987654") { id } b: product(id: "99999999999999") { id } }',
    );
    expect(response.errors).toBeUndefined();
    expect(response.data).toEqual({ a: null, b: null });
  });

  it('refuses an id that is not an id as BAD_USER_INPUT', async () => {
    const response = await server.gql('{ product(id: "1 or 1=1") { id } }');
    expect(response.errors?.[0]?.extensions).toMatchObject({
      code: 'BAD_USER_INPUT',
      fields: [{ field: 'id', constraint: 'id', message: expect.any(String) }],
    });
  });
});

describe('Product.reviews', () => {
  /** The LIMIT of every review statement a query ran (each run: graphql-js, then compiled). */
  const reviewLimitsOf = (query: string) =>
    pageLimitsOf(server, query, { statement: /\bfrom review\b/, limit: /limit (\d+)\s*\) r/ });

  it('reads the row after the page only when pageInfo is selected, even through fragments', async () => {
    const id = String(product.id);
    const bare = await reviewLimitsOf(
      `{ product(id: "${id}") { reviews(first: 6) { edges { node { title } } } } }`,
    );
    expect(bare.limits).toEqual([6]);
    for (const response of bare.responses) {
      expect(response.errors).toBeUndefined();
      expect(response.data).toMatchObject({ product: { reviews: { edges: expect.any(Array) } } });
    }

    const spread = await reviewLimitsOf(
      `fragment More on ReviewConnection { pageInfo { hasNextPage } }
       { product(id: "${id}") { reviews(first: 6) { edges { node { title } } ...More } } }`,
    );
    const inline = await reviewLimitsOf(
      `{ product(id: "${id}") { reviews(first: 6) { ... on ReviewConnection { pageInfo { hasNextPage } } } } }`,
    );
    for (const { limits, responses } of [spread, inline]) {
      expect(limits).toEqual([7]);
      for (const response of responses) {
        expect(response.errors).toBeUndefined();
        expect(response.data).toMatchObject({
          product: { reviews: { pageInfo: { hasNextPage: true } } },
        });
      }
    }
  });

  const QUERY = `query ($id: ID!, $first: Int, $after: String) {
    product(id: $id) { reviews(first: $first, after: $after) {
      totalCount edges { cursor node { rating title } } pageInfo { hasNextPage endCursor }
    } }
  }`;
  const pageOf = async (variables: Record<string, unknown>) => {
    const response = await server.gql<{ product: { reviews: ReviewPage } }>(QUERY, {
      id: String(product.id),
      ...variables,
    });
    expect(response.errors).toBeUndefined();
    return response.data!.product.reviews;
  };

  it('pages newest first without gaps or repeats', async () => {
    const titles: string[] = [];
    let after: string | null = null;
    for (;;) {
      const page: ReviewPage = await pageOf({ first: 3, after });
      expect(page.totalCount).toBe(7);
      titles.push(...page.edges.map((e) => e.node.title));
      if (!page.pageInfo.hasNextPage) break;
      after = page.pageInfo.endCursor;
    }
    expect(titles).toEqual([
      'Title 6',
      'Title 5',
      'Title 4',
      'Title 3',
      'Title 2',
      'Title 1',
      'Title 0',
    ]);
  });

  it('refuses a cursor of another list', async () => {
    const products = await server.gql<{ products: { pageInfo: { endCursor: string } } }>(
      '{ products(first: 1) { pageInfo { endCursor } } }',
    );
    const response = await server.gql(QUERY, {
      id: String(product.id),
      after: products.data!.products.pageInfo.endCursor,
    });
    expect(response.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
  });

  it('links each review back to its product', async () => {
    const response = await server.gql<{
      product: { reviews: { edges: { node: { product: { id: string; name: string } } }[] } };
    }>(
      `{ product(id: "${product.id}") { reviews(first: 2) { edges { node { product { id name } } } } } }`,
    );
    expect(response.data?.product.reviews.edges.map((e) => e.node.product)).toEqual([
      { id: String(product.id), name: 'Headphones' },
      { id: String(product.id), name: 'Headphones' },
    ]);
  });
});
