import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createCategory, createProducts } from '../../../test/support/factories';
import { startTestServer, type TestServer } from '../../../test/support/server';
import { pageLimitsOf } from '../../../test/support/sql-counter';
import type { Category } from './category.entity';

let server: TestServer;
let audio: Category;
let books: Category;
let empty: Category;

beforeAll(async () => {
  server = await startTestServer();
  audio = await createCategory(server.orm, { name: 'Audio' });
  books = await createCategory(server.orm, { name: 'Books' });
  empty = await createCategory(server.orm, { name: 'Empty' });
  await createProducts(server.orm, [
    ...Array.from({ length: 7 }, (_, i) => ({
      name: `Speaker ${i}`,
      price: `${i + 1}.00`,
      category: audio,
    })),
    ...Array.from({ length: 4 }, (_, i) => ({
      name: `Novel ${i}`,
      price: `${i + 1}.50`,
      stock: i % 2,
      category: books,
    })),
    { name: 'Uncategorised', category: null },
  ]);
});

afterAll(() => server.close());

interface Page {
  totalCount: number;
  edges: { cursor: string; node: { id: string; name: string } }[];
  pageInfo: {
    hasNextPage: boolean;
    endCursor: string | null;
    hasPreviousPage: boolean;
    startCursor: string | null;
  };
}

describe('Query.categories', () => {
  it('lists every category by name, with product counts', async () => {
    const response = await server.gql<{
      categories: { slug: string; name: string; productCount: number }[];
    }>('{ categories { slug name productCount } }');
    expect(response.data?.categories).toEqual([
      { slug: audio.slug, name: 'Audio', productCount: 7 },
      { slug: books.slug, name: 'Books', productCount: 4 },
      { slug: empty.slug, name: 'Empty', productCount: 0 },
    ]);
  });
});

describe('Category.products', () => {
  /** The LIMIT of every category page statement a query ran (graphql-js, then compiled). */
  const pageLimits = (query: string) =>
    pageLimitsOf(server, query, { statement: /cross join lateral/, limit: /limit (\d+)\) page/ });

  it('reads the row after the page only when pageInfo is selected, even through fragments', async () => {
    const bare = await pageLimits(
      `{ category(id: "${audio.id}") { products(first: 6) { edges { node { name } } } } }`,
    );
    expect(bare.limits).toEqual([6]);
    for (const response of bare.responses) {
      expect(response.errors).toBeUndefined();
      expect(response.data).toMatchObject({ category: { products: { edges: expect.any(Array) } } });
    }

    const spread = await pageLimits(
      `fragment More on ProductConnection { pageInfo { hasNextPage } }
       { category(id: "${audio.id}") { products(first: 6) { ...More } } }`,
    );
    expect(spread.limits).toEqual([7]);
    const backward = await pageLimits(
      `{ category(id: "${audio.id}") { products(last: 6) {
          ... on ProductConnection { pageInfo { hasPreviousPage } } } } }`,
    );
    expect(backward.limits).toEqual([7]);
    expect(spread.responses.map((r) => r.data)).toEqual(
      Array(3).fill({ category: { products: { pageInfo: { hasNextPage: true } } } }),
    );
    expect(backward.responses.map((r) => r.data)).toEqual(
      Array(3).fill({ category: { products: { pageInfo: { hasPreviousPage: true } } } }),
    );
  });
});

describe('Query.category', () => {
  it('finds a category by id and by slug', async () => {
    const byId = await server.gql<{ category: { slug: string } }>(
      `{ category(id: "${audio.id}") { slug } }`,
    );
    const bySlug = await server.gql<{ category: { id: string } }>(
      `{ category(slug: "${books.slug}") { id } }`,
    );
    expect(byId.data?.category).toEqual({ slug: audio.slug });
    expect(bySlug.data?.category).toEqual({ id: String(books.id) });
  });

  it('is null, not an error, for an id or slug that does not exist', async () => {
    const response = await server.gql(
      '{ a: category(id: "999999") { id } b: category(slug: "nope") { id } c: category(id: "99999999999") { id } }',
    );
    expect(response.errors).toBeUndefined();
    expect(response.data).toEqual({ a: null, b: null, c: null });
  });

  it.each([
    ['neither id nor slug', '{ category { id } }'],
    ['both id and slug', '{ category(id: "1", slug: "x") { id } }'],
    ['a malformed id', '{ category(id: "one") { id } }'],
  ])('refuses %s as BAD_USER_INPUT', async (_name, query) => {
    const response = await server.gql(query);
    expect(response.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
  });
});

describe('Category.products', () => {
  const QUERY = /* GraphQL */ `
    query (
      $slug: String!
      $first: Int
      $after: String
      $last: Int
      $before: String
      $filter: ProductFilter
      $orderBy: ProductOrder
    ) {
      category(slug: $slug) {
        products(
          first: $first
          after: $after
          last: $last
          before: $before
          filter: $filter
          orderBy: $orderBy
        ) {
          totalCount
          edges {
            cursor
            node {
              id
              name
            }
          }
          pageInfo {
            hasNextPage
            hasPreviousPage
            startCursor
            endCursor
          }
        }
      }
    }
  `;
  const pageOf = async (variables: Record<string, unknown>): Promise<Page> => {
    const response = await server.gql<{ category: { products: Page } }>(QUERY, variables);
    expect(response.errors).toBeUndefined();
    return response.data!.category.products;
  };

  it('pages through its own products only, forward and back, in the order asked', async () => {
    const orderBy = { field: 'PRICE', direction: 'DESC' };
    const first = await pageOf({ slug: audio.slug, first: 4, orderBy });
    expect(first.totalCount).toBe(7);
    expect(first.edges.map((e) => e.node.name)).toEqual([
      'Speaker 6',
      'Speaker 5',
      'Speaker 4',
      'Speaker 3',
    ]);
    expect(first.pageInfo).toMatchObject({ hasNextPage: true, hasPreviousPage: false });

    const second = await pageOf({
      slug: audio.slug,
      first: 4,
      after: first.pageInfo.endCursor,
      orderBy,
    });
    expect(second.edges.map((e) => e.node.name)).toEqual(['Speaker 2', 'Speaker 1', 'Speaker 0']);
    expect(second.pageInfo).toMatchObject({ hasNextPage: false, hasPreviousPage: true });

    const back = await pageOf({
      slug: audio.slug,
      last: 2,
      before: second.pageInfo.startCursor,
      orderBy,
    });
    expect(back.edges.map((e) => e.node.name)).toEqual(['Speaker 4', 'Speaker 3']);
  });

  it('gives the same rows as Query.products filtered by that category', async () => {
    const variables = {
      first: 3,
      orderBy: { field: 'NAME', direction: 'ASC' },
      filter: { inStock: true },
    };
    const nested = await pageOf({ slug: books.slug, ...variables });
    const flat = await server.gql<{ products: Page }>(
      `query ($first: Int, $filter: ProductFilter, $orderBy: ProductOrder) {
         products(first: $first, filter: $filter, orderBy: $orderBy) { totalCount edges { cursor node { id name } } }
       }`,
      { ...variables, filter: { ...variables.filter, categorySlug: books.slug } },
    );
    // The same rows, not the same cursors: each list's cursors are scoped to it (the category
    // is the nested list's parent, the flat list's filter).
    const nodes = (page: Page) => page.edges.map((e) => e.node);
    expect(nodes(nested)).toEqual(nodes(flat.data!.products));
    expect(nested.totalCount).toBe(flat.data!.products.totalCount);
    expect(nested.totalCount).toBe(2);
  });

  it('combines its own category with a filter naming another: nothing matches', async () => {
    const page = await pageOf({ slug: audio.slug, filter: { categorySlug: books.slug } });
    expect(page.edges).toEqual([]);
    expect(page.totalCount).toBe(0);
  });

  it('pages every category of a list, each with its own counts', async () => {
    const response = await server.gql<{ categories: { name: string; products: Page }[] }>(
      '{ categories { name products(first: 2, orderBy: { field: NAME }) { totalCount edges { node { name } } pageInfo { hasNextPage } } } }',
    );
    expect(
      response.data?.categories.map((c) => [
        c.name,
        c.products.totalCount,
        c.products.edges.map((e) => e.node.name),
        c.products.pageInfo.hasNextPage,
      ]),
    ).toEqual([
      ['Audio', 7, ['Speaker 0', 'Speaker 1'], true],
      ['Books', 4, ['Novel 0', 'Novel 1'], true],
      ['Empty', 0, [], false],
    ]);
  });

  it('refuses a page size over the maximum as BAD_USER_INPUT', async () => {
    const response = await server.gql(QUERY, { slug: audio.slug, first: 101 });
    expect(response.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
  });
});
