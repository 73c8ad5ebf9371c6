import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  createCategory,
  createProducts,
  createReviews,
  unique,
} from '../../test/support/factories';
import { startTestServer, type TestServer } from '../../test/support/server';
import { countStatements } from '../../test/support/sql-counter';
import type { Category } from '../catalog/category/category.entity';
import type { Product } from '../catalog/product/product.entity';

/**
 * Cursors as a hostile or careless client sends them: values the database cannot read, and
 * cursors of one list replayed on another. Both are BAD_USER_INPUT naming the argument.
 */

const PRODUCTS = /* GraphQL */ `
  query (
    $first: Int
    $after: String
    $last: Int
    $before: String
    $filter: ProductFilter
    $orderBy: ProductOrder
    $search: String
  ) {
    products(
      first: $first
      after: $after
      last: $last
      before: $before
      filter: $filter
      orderBy: $orderBy
      search: $search
    ) {
      edges {
        cursor
        node {
          id
        }
      }
      pageInfo {
        startCursor
        endCursor
      }
    }
  }
`;

const CATEGORY_PRODUCTS = /* GraphQL */ `
  query (
    $id: ID!
    $first: Int
    $after: String
    $last: Int
    $before: String
    $filter: ProductFilter
    $orderBy: ProductOrder
  ) {
    category(id: $id) {
      products(
        first: $first
        after: $after
        last: $last
        before: $before
        filter: $filter
        orderBy: $orderBy
      ) {
        edges {
          cursor
          node {
            id
          }
        }
        pageInfo {
          startCursor
          endCursor
        }
      }
    }
  }
`;

const REVIEWS = /* GraphQL */ `
  query ($id: ID!, $first: Int, $after: String) {
    product(id: $id) {
      reviews(first: $first, after: $after) {
        edges {
          cursor
          node {
            id
          }
        }
        pageInfo {
          endCursor
        }
      }
    }
  }
`;

interface Page {
  edges: { cursor: string; node: { id: string } }[];
  pageInfo: { startCursor?: string | null; endCursor: string | null };
}
interface Failure {
  message: string;
  extensions?: { code?: string; fields?: { field: string }[] };
}

const logLines: string[] = [];
let server: TestServer;
let categoryA: Category;
let categoryB: Category;
let productsA: Product[];
let reviewed: Product[];
/** A word only this file's products have, for searches. */
const word = unique('zebrawood').replace(/[^a-z]/gi, '');

beforeAll(async () => {
  server = await startTestServer({ logLines });
  categoryA = await createCategory(server.orm);
  categoryB = await createCategory(server.orm);
  const rows = (category: Category) =>
    [0, 1, 2, 3, 4, 5].map((i) => ({
      name: `${word} item ${i}`,
      description: `${word} thing`,
      price: `${i + 1}.50`,
      stock: i % 2,
      category,
      createdAt: new Date(Date.UTC(2026, 1, 1, i)),
    }));
  productsA = await createProducts(server.orm, rows(categoryA));
  await createProducts(server.orm, rows(categoryB));
  reviewed = productsA.slice(0, 2);
  for (const product of productsA) await createReviews(server.orm, product, [3, 4, 5]);
});

afterAll(() => server.close());

async function products(variables: Record<string, unknown>) {
  return server.gql<{ products: Page }>(PRODUCTS, variables);
}
async function categoryProducts(category: Category, variables: Record<string, unknown>) {
  return server.gql<{ category: { products: Page } }>(CATEGORY_PRODUCTS, {
    id: String(category.id),
    ...variables,
  });
}
async function reviews(product: Product, variables: Record<string, unknown>) {
  return server.gql<{ product: { reviews: Page } }>(REVIEWS, {
    id: String(product.id),
    ...variables,
  });
}

/** The cursor with its sort value or its id swapped: what a client editing a cursor sends. */
function forge(cursor: string, value: unknown, at: 1 | 2 = 1): string {
  const decoded = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown[];
  decoded[at] = value;
  return Buffer.from(JSON.stringify(decoded)).toString('base64url');
}

function expectRefused(errors: Failure[] | undefined, argName: string, message: RegExp): void {
  expect(errors).toHaveLength(1);
  const [error] = errors!;
  expect(error!.extensions?.code).toBe('BAD_USER_INPUT');
  expect(error!.extensions?.fields).toEqual([expect.objectContaining({ field: argName })]);
  expect(error!.message).toMatch(message);
  expect(error!.message).not.toMatch(/select|where|sql|postgres|timestamptz|numeric/i);
}

const NOT_OURS = /^(after|before): is not a cursor this API issued$/;
const OTHER_LIST =
  /^(after|before): belongs to a different list or order; restart from the first page$/;

/** A real cursor of `products` in this order (its first edge's), to forge values into. */
async function productCursor(orderBy: Record<string, string>, search?: string): Promise<string> {
  const response = await products({
    first: 2,
    filter: { categoryId: String(categoryA.id) },
    orderBy,
    search,
  });
  expect(response.errors).toBeUndefined();
  return response.data!.products.edges[0]!.cursor;
}

describe('cursor values the database cannot read', () => {
  const TIMESTAMPS = [
    ['year 0000', '0000-01-01T00:00:00.000Z'],
    ['year -1', '-000001-01-01T00:00:00.000Z'],
    ['year +275760', '+275760-09-13T00:00:00.000Z'],
    ['year +10000', '+010000-01-01T00:00:00.000Z'],
  ];
  const DECIMALS = [
    ['NaN', 'NaN'],
    ['Infinity', 'Infinity'],
    ['exponent notation', '1e400'],
    ['a number wider than numeric', '9'.repeat(1000)], // under the cursor's length cap
    ['more decimals than numeric takes', `0.${'0'.repeat(1000)}1`],
    ['a number', 12],
  ];
  const FLOATS = [
    ['NaN', 'NaN'],
    ['-Infinity', '-Infinity'],
    ['beyond a real', '1e39'],
    ['beyond a double', '1e400'],
    ['below a real', '1e-50'],
    ['a huge integer', '9'.repeat(400)],
  ];
  const STRINGS = [
    ['a lone surrogate', 'a\ud800b'],
    ['a NUL character', 'a\u0000b'],
    ['a string longer than any name', 'x'.repeat(1000)],
    ['an array', ['x']],
  ];
  const IDS = [
    ['an id beyond int4', 2_147_483_648],
    ['an id beyond a double', 1e300],
    ['a negative id', -1],
    ['a fractional id', 1.5],
    ['an id as text', '1'],
  ];
  const cases: [order: Record<string, string>, search: string | undefined, values: unknown[][]][] =
    [
      [{ field: 'CREATED_AT', direction: 'DESC' }, undefined, TIMESTAMPS],
      [{ field: 'PRICE', direction: 'ASC' }, undefined, DECIMALS],
      [
        { field: 'RATING', direction: 'DESC' },
        undefined,
        [...DECIMALS, ['above numeric(5,4)', '123456']],
      ],
      [{ field: 'RELEVANCE', direction: 'DESC' }, word, FLOATS],
      [{ field: 'NAME', direction: 'ASC' }, undefined, STRINGS],
    ];

  describe.each(cases)('ordered by %o', (orderBy, search, values) => {
    it.each(values)('refuses %s in after and before, before any SQL', async (_name, value) => {
      const cursor = forge(await productCursor(orderBy, search), value);
      const filter = { categoryId: String(categoryA.id) };
      const forward = await products({ first: 2, after: cursor, filter, orderBy, search });
      expectRefused(forward.errors, 'after', NOT_OURS);
      const backward = await products({ last: 2, before: cursor, filter, orderBy, search });
      expectRefused(backward.errors, 'before', NOT_OURS);
    });
  });

  it.each(IDS)('refuses %s', async (_name, id) => {
    const orderBy = { field: 'PRICE', direction: 'ASC' };
    const cursor = await productCursor(orderBy);
    const response = await products({
      first: 2,
      after: forge(cursor, id, 2),
      filter: { categoryId: String(categoryA.id) },
      orderBy,
    });
    expectRefused(response.errors, 'after', NOT_OURS);
  });

  it.each([...TIMESTAMPS, ['not a timestamp', '2026-02-30T00:00:00.000Z'], ['null', null]])(
    'refuses %s in a review cursor',
    async (_name, value) => {
      const first = await reviews(reviewed[0]!, { first: 1 });
      expect(first.errors).toBeUndefined();
      const cursor = forge(first.data!.product.reviews.pageInfo.endCursor!, value);
      const response = await reviews(reviewed[0]!, { first: 1, after: cursor });
      expectRefused(response.errors, 'after', NOT_OURS);
      expect(response.data).toEqual({ product: null });
    },
  );

  it.each([
    [{ field: 'CREATED_AT', direction: 'DESC' }, undefined, '0000-01-01T00:00:00.000Z'],
    [{ field: 'RELEVANCE', direction: 'DESC' }, word, '1e39'],
    [{ field: 'PRICE', direction: 'ASC' }, word, 'NaN'],
  ])(
    'refuses a bad value in %o (search %p) without running a statement',
    async (orderBy, search, value) => {
      const cursor = forge(await productCursor(orderBy, search), value);
      const filter = { categoryId: String(categoryA.id) };
      const counter = countStatements(server.orm);
      try {
        const response = await products({ first: 2, after: cursor, filter, orderBy, search });
        expectRefused(response.errors, 'after', NOT_OURS);
        expect(counter.statements).toEqual([]);
      } finally {
        counter.stop();
      }
    },
  );

  it('logs refused cursors below error level', async () => {
    const cursor = forge(
      await productCursor({ field: 'CREATED_AT', direction: 'DESC' }),
      '0000-01-01T00:00:00.000Z',
    );
    logLines.length = 0;
    const filter = { categoryId: String(categoryA.id) };
    const response = await products({ first: 2, after: cursor, filter });
    expectRefused(response.errors, 'after', NOT_OURS);
    const levels = logLines.map((line) => (JSON.parse(line) as { level: number }).level);
    expect(levels.length).toBeGreaterThan(0);
    expect(levels.filter((level) => level >= 50)).toEqual([]);
  });

  it('still accepts the extremes a real row can hold', async () => {
    const orderBy = { field: 'CREATED_AT', direction: 'ASC' };
    for (const value of ['0001-01-01T00:00:00.000Z', '9999-12-31T23:59:59.999Z']) {
      const response = await products({
        first: 2,
        after: forge(await productCursor(orderBy), value),
        filter: { categoryId: String(categoryA.id) },
        orderBy,
      });
      expect(response.errors).toBeUndefined();
    }
    const priceOrder = { field: 'PRICE', direction: 'ASC' };
    const response = await products({
      first: 2,
      after: forge(await productCursor(priceOrder), '9999999999.99'),
      filter: { categoryId: String(categoryA.id) },
      orderBy: priceOrder,
    });
    expect(response.errors).toBeUndefined();
    expect(response.data!.products.edges).toEqual([]);
  });
});

describe('cursors are scoped to their list', () => {
  /** `A` and `B` stand for the two categories, which exist only once beforeAll has run. */
  const FILTER = { categoryId: 'A', minPrice: '1.00' };
  const ORDER = { field: 'PRICE', direction: 'ASC' };
  let cursor: string;
  let next: string[];
  let previous: string[];

  beforeAll(async () => {
    const first = await products(resolve({ first: 3, filter: FILTER, orderBy: ORDER }));
    expect(first.errors).toBeUndefined();
    const { edges } = first.data!.products;
    cursor = edges[1]!.cursor;
    next = [edges[2]!.node.id];
    previous = [edges[0]!.node.id];
  });

  const otherLists: [string, Record<string, unknown>][] = [
    ['filter.text', { filter: { ...FILTER, text: word } }],
    ['filter.categoryId', { filter: { ...FILTER, categoryId: 'B' } }],
    ['filter.categorySlug', { filter: { ...FILTER, categorySlug: 'A' } }],
    ['filter.minPrice', { filter: { ...FILTER, minPrice: '1.01' } }],
    ['filter.maxPrice', { filter: { ...FILTER, maxPrice: '100' } }],
    ['filter.inStock', { filter: { ...FILTER, inStock: true } }],
    ['no filter', { filter: null }],
    ['search', { search: word }],
    ['orderBy.direction', { orderBy: { field: 'PRICE', direction: 'DESC' } }],
    ['orderBy.field NAME', { orderBy: { field: 'NAME', direction: 'ASC' } }],
    ['orderBy.field CREATED_AT', { orderBy: { field: 'CREATED_AT', direction: 'ASC' } }],
    ['orderBy.field RATING', { orderBy: { field: 'RATING', direction: 'ASC' } }],
  ];

  function resolve(variables: Record<string, unknown>): Record<string, unknown> {
    const filter = variables.filter as Record<string, unknown> | null | undefined;
    if (!filter) return variables;
    const ids: Record<string, number> = { A: categoryA.id, B: categoryB.id };
    const { categoryId: placeholder } = filter;
    const categoryId = typeof placeholder === 'string' ? String(ids[placeholder]) : placeholder;
    const categorySlug = filter.categorySlug === 'A' ? categoryA.slug : filter.categorySlug;
    return { ...variables, filter: { ...filter, categoryId, categorySlug } };
  }

  it.each(otherLists)('products: refuses a cursor on another %s', async (_name, change) => {
    const variables = resolve({ filter: FILTER, orderBy: ORDER, ...change });
    const forward = await products({ ...variables, first: 2, after: cursor });
    expectRefused(forward.errors, 'after', OTHER_LIST);
    const backward = await products({ ...variables, last: 2, before: cursor });
    expectRefused(backward.errors, 'before', OTHER_LIST);
  });

  it('products: pages on from a cursor, forward and back, within its list', async () => {
    const forward = await products(
      resolve({ filter: FILTER, orderBy: ORDER, first: 1, after: cursor }),
    );
    expect(forward.errors).toBeUndefined();
    expect(forward.data!.products.edges.map((e) => e.node.id)).toEqual(next);
    const backward = await products(
      resolve({ filter: FILTER, orderBy: ORDER, last: 1, before: cursor }),
    );
    expect(backward.errors).toBeUndefined();
    expect(backward.data!.products.edges.map((e) => e.node.id)).toEqual(previous);
  });

  it('products: takes the same filter written another way as the same list', async () => {
    const sameList = {
      inStock: null,
      text: '   ',
      maxPrice: null,
      minPrice: '01.0',
      categoryId: ` 00${categoryA.id}`,
    };
    const response = await products({
      filter: sameList,
      orderBy: { direction: 'ASC', field: 'PRICE' },
      first: 1,
      after: cursor,
    });
    expect(response.errors).toBeUndefined();
    expect(response.data!.products.edges.map((e) => e.node.id)).toEqual(next);
  });

  it('products: refuses a cursor of one search on another', async () => {
    const orderBy = { field: 'RELEVANCE', direction: 'DESC' };
    const filter = { categoryId: String(categoryA.id) };
    const first = await products({ first: 1, filter, orderBy, search: word });
    expect(first.errors).toBeUndefined();
    const after = first.data!.products.pageInfo.endCursor;
    const same = await products({ first: 1, filter, orderBy, search: ` ${word} `, after });
    expect(same.errors).toBeUndefined();
    const other = await products({ first: 1, filter, orderBy, search: `${word} item`, after });
    expectRefused(other.errors, 'after', OTHER_LIST);
  });

  describe('Category.products', () => {
    let categoryCursor: string;
    let categoryNext: string[];
    let categoryPrevious: string[];

    beforeAll(async () => {
      const first = await categoryProducts(categoryA, { first: 3, orderBy: ORDER });
      expect(first.errors).toBeUndefined();
      const { edges } = first.data!.category.products;
      categoryCursor = edges[1]!.cursor;
      categoryNext = [edges[2]!.node.id];
      categoryPrevious = [edges[0]!.node.id];
    });

    it('pages on from a cursor, forward and back, within its own category', async () => {
      const forward = await categoryProducts(categoryA, {
        orderBy: ORDER,
        first: 1,
        after: categoryCursor,
      });
      expect(forward.errors).toBeUndefined();
      expect(forward.data!.category.products.edges.map((e) => e.node.id)).toEqual(categoryNext);
      const backward = await categoryProducts(categoryA, {
        orderBy: ORDER,
        last: 1,
        before: categoryCursor,
      });
      expect(backward.errors).toBeUndefined();
      expect(backward.data!.category.products.edges.map((e) => e.node.id)).toEqual(
        categoryPrevious,
      );
    });

    it.each([
      ['another category', () => categoryB, {}],
      ['a filter', () => categoryA, { filter: { inStock: false } }],
      ['another order', () => categoryA, { orderBy: { field: 'PRICE', direction: 'DESC' } }],
    ])('refuses its cursor on %s', async (_name, category, change) => {
      const variables = { orderBy: ORDER, ...change };
      const forward = await categoryProducts(category(), {
        ...variables,
        first: 1,
        after: categoryCursor,
      });
      expectRefused(forward.errors, 'after', OTHER_LIST);
      const backward = await categoryProducts(category(), {
        ...variables,
        last: 1,
        before: categoryCursor,
      });
      expectRefused(backward.errors, 'before', OTHER_LIST);
    });

    it('refuses a cursor of Query.products, a list of its own', async () => {
      const response = await categoryProducts(
        categoryA,
        resolve({ filter: FILTER, orderBy: ORDER, first: 1, after: cursor }),
      );
      expectRefused(response.errors, 'after', OTHER_LIST);
    });
  });

  describe('Product.reviews', () => {
    it("pages on within its product's reviews and refuses another product's cursor", async () => {
      const [own, other] = reviewed;
      const first = await reviews(own!, { first: 1 });
      expect(first.errors).toBeUndefined();
      const after = first.data!.product.reviews.pageInfo.endCursor;
      const second = await reviews(own!, { first: 1, after });
      expect(second.errors).toBeUndefined();
      expect(second.data!.product.reviews.edges).toHaveLength(1);
      const elsewhere = await reviews(other!, { first: 1, after });
      expectRefused(elsewhere.errors, 'after', OTHER_LIST);
    });
  });
});
