import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createCategory, createProducts, createReviews } from '../../../test/support/factories';
import { startTestServer, type TestServer } from '../../../test/support/server';
import type { Category } from '../category/category.entity';

const PRODUCTS = /* GraphQL */ `
  query Products(
    $first: Int
    $after: String
    $last: Int
    $before: String
    $filter: ProductFilter
    $orderBy: ProductOrder
  ) {
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
          price
          stock
          averageRating
          createdAt
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
`;

interface ProductNode {
  id: string;
  name: string;
  price: string;
  stock: number;
  averageRating: number | null;
  createdAt: string;
}
interface ProductsData {
  products: {
    totalCount: number;
    edges: { cursor: string; node: ProductNode }[];
    pageInfo: {
      hasNextPage: boolean;
      hasPreviousPage: boolean;
      startCursor: string | null;
      endCursor: string | null;
    };
  };
}

let server: TestServer;
let category: Category;
/** What the database holds for this file's category, computed by hand to compare against. */
let expected: ProductNode[];

// 13 products with ties in every sort key, and some without reviews (null rating).
const ROWS: [name: string, price: string, createdAtHour: number, ratings: number[]][] = [
  ['Item B', '10.00', 1, [5]],
  ['Item A', '10.00', 1, [4, 5]],
  ['Item C', '0.10', 2, []],
  ['Item A', '99.99', 3, [3]],
  ['Item D', '0.20', 3, [5, 4]],
  ['Item B', '10.00', 4, []],
  ['Item E', '1000.00', 4, [1]],
  ['Item C', '0.30', 5, [2, 3, 4]],
  ['Item F', '10.00', 5, [3]],
  ['Item A', '5.50', 6, []],
  ['Item G', '5.50', 6, [5]],
  ['Item H', '0.00', 7, [4, 4]],
  ['Item B', '12.34', 7, [1, 2]],
];

beforeAll(async () => {
  server = await startTestServer();
  category = await createCategory(server.orm);
  const products = await createProducts(
    server.orm,
    ROWS.map(([name, price, hour]) => ({
      name,
      price,
      category,
      stock: Number(price) > 50 ? 0 : 3,
      createdAt: new Date(Date.UTC(2026, 5, 1, hour)),
    })),
  );
  for (const [i, product] of products.entries()) {
    const ratings = ROWS[i]![3];
    if (ratings.length) await createReviews(server.orm, product, ratings);
  }
  expected = products.map((p, i) => {
    const ratings = ROWS[i]![3];
    return {
      id: String(p.id),
      name: p.name,
      price: p.price,
      stock: p.stock,
      averageRating: ratings.length
        ? Math.round((ratings.reduce((a, b) => a + b, 0) / ratings.length) * 1e4) / 1e4
        : null,
      createdAt: p.createdAt.toISOString(),
    };
  });
});

afterAll(() => server.close());

const SORT_VALUE: Record<string, (p: ProductNode) => number | string | null> = {
  NAME: (p) => p.name,
  PRICE: (p) => Number(p.price),
  CREATED_AT: (p) => p.createdAt,
  RATING: (p) => p.averageRating,
};

/** The order the API promises: key, nulls ranking lowest, then id, all in one direction. */
function sortByHand(rows: ProductNode[], field: string, direction: 'ASC' | 'DESC'): string[] {
  const value = SORT_VALUE[field]!;
  const sign = direction === 'ASC' ? 1 : -1;
  const compare = (a: ProductNode, b: ProductNode): number => {
    const [x, y] = [value(a), value(b)];
    if (x !== y) {
      if (x === null) return -sign;
      if (y === null) return sign;
      return (x < y ? -1 : 1) * sign;
    }
    return (Number(a.id) - Number(b.id)) * sign;
  };
  return [...rows].sort(compare).map((p) => p.id);
}

async function page(variables: Record<string, unknown>) {
  const response = await server.gql<ProductsData>(PRODUCTS, {
    filter: { categoryId: String(category.id) },
    ...variables,
  });
  expect(response.errors).toBeUndefined();
  return response.data!.products;
}

describe('Query.products', () => {
  describe.each(['NAME', 'PRICE', 'CREATED_AT', 'RATING'])('ordered by %s', (field) => {
    it.each(['ASC', 'DESC'] as const)(
      '%s pages forward without gaps or repeats',
      async (direction) => {
        const orderBy = { field, direction };
        const seen: string[] = [];
        let after: string | null = null;
        let pages = 0;
        for (;;) {
          const result = await page({ first: 4, after, orderBy });
          expect(result.totalCount).toBe(ROWS.length);
          expect(result.pageInfo.hasPreviousPage).toBe(after !== null);
          seen.push(...result.edges.map((e) => e.node.id));
          pages += 1;
          if (!result.pageInfo.hasNextPage) break;
          after = result.pageInfo.endCursor;
        }
        expect(seen).toEqual(sortByHand(expected, field, direction));
        expect(pages).toBe(Math.ceil(ROWS.length / 4));
      },
    );

    it.each(['ASC', 'DESC'] as const)(
      '%s pages backward without gaps or repeats',
      async (direction) => {
        const orderBy = { field, direction };
        const seen: string[] = [];
        let before: string | null = null;
        for (;;) {
          const result = await page({ last: 5, before, orderBy });
          expect(result.pageInfo.hasNextPage).toBe(before !== null);
          seen.unshift(...result.edges.map((e) => e.node.id));
          if (!result.pageInfo.hasPreviousPage) break;
          before = result.pageInfo.startCursor;
        }
        expect(seen).toEqual(sortByHand(expected, field, direction));
      },
    );
  });

  // RATING defaults to DESC (best rated first), as shoppers mean it; the others keep ASC.
  it.each([
    ['NAME', 'ASC'],
    ['PRICE', 'ASC'],
    ['CREATED_AT', 'ASC'],
    ['RATING', 'DESC'],
  ] as const)(
    'without a direction, orders by %s %s, paging both ways',
    async (field, direction) => {
      const orderBy = { field };
      const forward: string[] = [];
      let after: string | null = null;
      for (;;) {
        const result = await page({ first: 4, after, orderBy });
        forward.push(...result.edges.map((e) => e.node.id));
        if (!result.pageInfo.hasNextPage) break;
        after = result.pageInfo.endCursor;
      }
      const backward: string[] = [];
      let before: string | null = null;
      for (;;) {
        const result = await page({ last: 5, before, orderBy });
        backward.unshift(...result.edges.map((e) => e.node.id));
        if (!result.pageInfo.hasPreviousPage) break;
        before = result.pageInfo.startCursor;
      }
      const byHand = sortByHand(expected, field, direction);
      expect(forward).toEqual(byHand);
      expect(backward).toEqual(byHand);
      // The defaulted direction is the same order as the explicit one: their cursors agree.
      const explicit = await page({ first: 2, orderBy: { field, direction } });
      const next = await page({ first: 2, after: explicit.pageInfo.endCursor, orderBy });
      expect(next.edges.map((e) => e.node.id)).toEqual(byHand.slice(2, 4));
    },
  );

  it('turns around mid-list: the page before a cursor ends right before it', async () => {
    const orderBy = { field: 'PRICE', direction: 'ASC' };
    const first = await page({ first: 6, orderBy });
    const second = await page({ first: 3, after: first.pageInfo.endCursor, orderBy });
    const back = await page({ last: 6, before: second.edges[0]!.cursor, orderBy });
    expect(back.edges.map((e) => e.node.id)).toEqual(first.edges.map((e) => e.node.id));
  });

  it('filters by price range, stock and text, and counts the filtered set', async () => {
    const cases: [Record<string, unknown>, (p: ProductNode) => boolean][] = [
      [
        { minPrice: '0.20', maxPrice: '10.00' },
        (p) => Number(p.price) >= 0.2 && Number(p.price) <= 10,
      ],
      [{ minPrice: '10.00' }, (p) => Number(p.price) >= 10],
      [{ inStock: false }, (p) => p.stock === 0],
      [{ inStock: true, maxPrice: '5.50' }, (p) => p.stock > 0 && Number(p.price) <= 5.5],
      [{ text: 'item a' }, (p) => p.name === 'Item A'],
      [{ categorySlug: category.slug, text: 'B' }, (p) => p.name === 'Item B'],
    ];
    for (const [filter, keep] of cases) {
      const result = await page({
        first: 100,
        filter: { categoryId: String(category.id), ...filter },
        orderBy: { field: 'PRICE', direction: 'ASC' },
      });
      const want = sortByHand(expected.filter(keep), 'PRICE', 'ASC');
      expect(result.edges.map((e) => e.node.id)).toEqual(want);
      expect(result.totalCount).toBe(want.length);
    }
  });

  it('treats % and _ in text filters as characters, not wildcards', async () => {
    const result = await page({ filter: { categoryId: String(category.id), text: '%' } });
    expect(result.edges).toEqual([]);
    expect(result.totalCount).toBe(0);
  });

  it('keeps prices exact: 0.10 + 0.20 is 0.30', async () => {
    const result = await page({
      first: 100,
      filter: { categoryId: String(category.id), minPrice: '0.10', maxPrice: '0.30' },
      orderBy: { field: 'PRICE', direction: 'ASC' },
    });
    const prices = result.edges.map((e) => e.node.price);
    expect(prices).toEqual(['0.10', '0.20', '0.30']);
    const cents = prices.slice(0, 2).reduce((sum, p) => sum + Math.round(Number(p) * 100), 0);
    expect(prices).toContain(`0.${cents}`);
  });

  it('returns an empty page, not an error, for first: 0', async () => {
    const result = await page({ first: 0 });
    expect(result.edges).toEqual([]);
    expect(result.pageInfo.hasNextPage).toBe(true);
  });
});

describe('Query.products bad input', () => {
  const cases: [string, string, Record<string, unknown>, string][] = [
    ['first: -1', PRODUCTS, { first: -1 }, 'BAD_USER_INPUT'],
    ['first: 1000', PRODUCTS, { first: 1000 }, 'BAD_USER_INPUT'],
    ['last: 101', PRODUCTS, { last: 101 }, 'BAD_USER_INPUT'],
    ['first and last together', PRODUCTS, { first: 2, last: 2 }, 'BAD_USER_INPUT'],
    ['a malformed cursor', PRODUCTS, { after: 'not-a-cursor' }, 'BAD_USER_INPUT'],
    [
      'a forged cursor',
      PRODUCTS,
      {
        after: Buffer.from('["product:PRICE:ASC","1;drop",1]').toString('base64url'),
        orderBy: { field: 'PRICE', direction: 'ASC' },
      },
      'BAD_USER_INPUT',
    ],
    [
      'a cursor from another order',
      PRODUCTS,
      { after: Buffer.from('["product:NAME:ASC","x",1]').toString('base64url') },
      'BAD_USER_INPUT',
    ],
    [
      'minPrice above maxPrice',
      PRODUCTS,
      { filter: { minPrice: '5', maxPrice: '1' } },
      'BAD_USER_INPUT',
    ],
    ['a price that is not a decimal', PRODUCTS, { filter: { minPrice: '1e3' } }, 'BAD_USER_INPUT'],
    ['a malformed category id', PRODUCTS, { filter: { categoryId: 'abc' } }, 'BAD_USER_INPUT'],
    ['a wrong variable type', PRODUCTS, { first: 'ten' }, 'BAD_USER_INPUT'],
    [
      'an unknown field',
      '{ products { edges { node { id colour } } } }',
      {},
      'GRAPHQL_VALIDATION_FAILED',
    ],
    [
      'an unknown order',
      '{ products(orderBy: { field: COLOUR }) { totalCount } }',
      {},
      'GRAPHQL_VALIDATION_FAILED',
    ],
    ['a syntax error', '{ products(first: ) { totalCount }', {}, 'GRAPHQL_PARSE_FAILED'],
  ];

  it.each(cases)(
    'refuses %s with a clear error, and the server stays healthy',
    async (_name, query, variables, code) => {
      const response = await server.gql(query, variables);
      expect(response.errors?.[0]?.extensions?.code).toBe(code);
      expect(response.errors?.[0]?.message).toMatch(/\w{4,}/);
      expect(response.errors?.[0]?.message).not.toMatch(/select|from "|sql/i);
      const healthy = await server.gql('{ products(first: 1) { totalCount } }');
      expect(healthy.errors).toBeUndefined();
    },
  );

  it('names the argument at fault', async () => {
    const response = await server.gql(PRODUCTS, { first: 1000 });
    expect(response.errors?.[0]?.extensions?.fields).toEqual([
      expect.objectContaining({ field: 'first', constraint: 'max' }),
    ]);
    expect(response.data).toBeNull();
  });
});
