import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createCategory, createProducts, createReviews } from '../../../test/support/factories';
import {
  startTestServer,
  type GraphQLResponse,
  type TestServer,
} from '../../../test/support/server';
import { countStatements } from '../../../test/support/sql-counter';
import type { Category } from '../category/category.entity';
import { Product } from './product.entity';
import { resolveSearch, searchCondition } from './product.search';

let server: TestServer;
let audio: Category;
let books: Category;
let admin: string;

interface SearchPage {
  totalCount: number;
  edges: { cursor: string; highlight: string | null; node: { id: string; name: string } }[];
  pageInfo: {
    hasNextPage: boolean;
    endCursor: string | null;
    hasPreviousPage?: boolean;
    startCursor?: string | null;
  };
}

const SEARCH = `query ($search: String, $first: Int, $after: String, $filter: ProductFilter, $orderBy: ProductOrder) {
  products(search: $search, first: $first, after: $after, filter: $filter, orderBy: $orderBy) {
    totalCount edges { cursor highlight node { id name } } pageInfo { hasNextPage endCursor }
  }
}`;

const BACKWARD = `query ($search: String, $last: Int, $before: String, $orderBy: ProductOrder) {
  products(search: $search, last: $last, before: $before, orderBy: $orderBy) {
    totalCount edges { cursor highlight node { id name } }
    pageInfo { hasNextPage endCursor hasPreviousPage startCursor }
  }
}`;

async function search(variables: Record<string, unknown>): Promise<SearchPage> {
  const response = await server.gql<{ products: SearchPage }>(SEARCH, variables);
  expect(response.errors).toBeUndefined();
  return response.data!.products;
}
const names = (page: SearchPage) => page.edges.map((e) => e.node.name);

beforeAll(async () => {
  // A test counts the statements of one run (knex's events): no graphql-js shadow run.
  server = await startTestServer({ env: { GRAPHQL_SHADOW_EXECUTION: 'false' } });
  admin = await server.token({ sub: 'root', roles: ['admin'] });
  audio = await createCategory(server.orm, { name: 'Audio Gear' });
  books = await createCategory(server.orm, { name: 'Books' });
  const products = await createProducts(server.orm, [
    {
      name: 'Studio Headphones',
      description: 'Closed-back, for mixing',
      price: '199.00',
      category: audio,
    },
    {
      name: 'Travel Case',
      description: 'Fits most headphones',
      price: '25.00',
      category: audio,
      stock: 0,
    },
    {
      name: 'Wireless Earbuds',
      description: 'Bluetooth, noise cancelling',
      price: '89.00',
      category: audio,
    },
    { name: 'Headphones Stand', description: 'Wooden stand', price: '30.00', category: audio },
    {
      name: 'The Sound of Music',
      description: 'A novel about headphones? No: a musical',
      price: '12.00',
      category: books,
    },
    { name: 'Cooking for Two', description: 'Recipes', price: '18.00', category: books },
  ]);
  await createReviews(server.orm, products[0]!, [5, 5]);
  await createReviews(server.orm, products[2]!, [3]);
});
afterAll(() => server.close());

describe('Query.products(search:)', () => {
  it('ranks a name match above a description match (RELEVANCE)', async () => {
    const page = await search({
      search: 'headphones',
      first: 10,
      orderBy: { field: 'RELEVANCE', direction: 'DESC' },
    });
    const order = names(page);
    expect(page.totalCount).toBe(4);
    expect(order.slice(0, 2).sort()).toEqual(['Headphones Stand', 'Studio Headphones']);
    expect(order.slice(2).sort()).toEqual(['The Sound of Music', 'Travel Case']);
  });

  it('pages RELEVANCE order with cursors, without gaps or repeats', async () => {
    const orderBy = { field: 'RELEVANCE', direction: 'DESC' };
    const all = names(await search({ search: 'headphones', first: 10, orderBy }));
    const seen: string[] = [];
    let after: string | null = null;
    for (;;) {
      const page: SearchPage = await search({ search: 'headphones', first: 1, after, orderBy });
      seen.push(...names(page));
      if (!page.pageInfo.hasNextPage) break;
      after = page.pageInfo.endCursor;
    }
    expect(seen).toEqual(all);
  });

  it('puts the most relevant first when RELEVANCE has no direction, paging both ways', async () => {
    const orderBy = { field: 'RELEVANCE' };
    const all = names(await search({ search: 'headphones', first: 10, orderBy }));
    expect(all.slice(0, 2).sort()).toEqual(['Headphones Stand', 'Studio Headphones']);
    expect(all).toEqual(
      names(
        await search({
          search: 'headphones',
          first: 10,
          orderBy: { field: 'RELEVANCE', direction: 'DESC' },
        }),
      ),
    );
    const forward: string[] = [];
    let after: string | null = null;
    for (;;) {
      const page: SearchPage = await search({ search: 'headphones', first: 1, after, orderBy });
      forward.push(...names(page));
      if (!page.pageInfo.hasNextPage) break;
      after = page.pageInfo.endCursor;
    }
    expect(forward).toEqual(all);
    const backward: string[] = [];
    let before: string | null = null;
    for (;;) {
      const response: GraphQLResponse<{ products: SearchPage }> = await server.gql(BACKWARD, {
        search: 'headphones',
        last: 1,
        before,
        orderBy,
      });
      expect(response.errors).toBeUndefined();
      const page: SearchPage = response.data!.products;
      backward.unshift(...names(page));
      if (!page.pageInfo.hasPreviousPage) break;
      before = page.pageInfo.startCursor ?? null;
    }
    expect(backward).toEqual(all);
  });

  it('understands web search syntax: phrases, exclusion, or', async () => {
    expect(names(await search({ search: '"noise cancelling"' }))).toEqual(['Wireless Earbuds']);
    expect(
      names(await search({ search: 'headphones -stand -case', orderBy: { field: 'NAME' } })),
    ).toEqual(['Studio Headphones', 'The Sound of Music']);
    expect(
      names(await search({ search: 'recipes or bluetooth', orderBy: { field: 'NAME' } })),
    ).toEqual(['Cooking for Two', 'Wireless Earbuds']);
  });

  it('searches the category name too, and combines with filters and orderBy', async () => {
    const page = await search({
      search: 'audio gear',
      filter: { inStock: true, maxPrice: '100' },
      orderBy: { field: 'PRICE', direction: 'DESC' },
    });
    expect(names(page)).toEqual(['Wireless Earbuds', 'Headphones Stand']);
    expect(page.totalCount).toBe(2);
  });

  it('finds near spellings when nothing matches exactly', async () => {
    expect(names(await search({ search: 'hedphones', orderBy: { field: 'NAME' } }))).toEqual([
      'Headphones Stand',
      'Studio Headphones',
    ]);
  });

  it('highlights where the search matched, HTML-escaped', async () => {
    const page = await search({ search: 'mixing', first: 1 });
    expect(page.edges[0]?.highlight).toBe(
      'Studio Headphones — Closed-back, for <mark>mixing</mark>',
    );
    const plain = await search({ first: 1 });
    expect(plain.edges[0]?.highlight).toBeNull();
  });

  it.each(['', '   '])('treats %p as no search', async (text) => {
    expect((await search({ search: text, first: 1 })).totalCount).toBe(6);
  });

  it('refuses a 1,000-character search', async () => {
    const response = await server.gql(SEARCH, { search: 'x'.repeat(1000) });
    expect(response.errors?.[0]?.extensions).toMatchObject({
      code: 'BAD_USER_INPUT',
      fields: [{ field: 'search' }],
    });
  });

  it('refuses RELEVANCE without a search', async () => {
    const response = await server.gql(SEARCH, {
      orderBy: { field: 'RELEVANCE', direction: 'DESC' },
    });
    expect(response.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
  });

  it.each([
    `"`,
    `\\`,
    `&|!:*()`,
    `'; drop table product; --`,
    'a\u0000b',
    '🎧 héadphönes',
    `<script>`,
    `-`,
    `or`,
  ])('cannot be broken by %p', async (text) => {
    const response = await server.gql(SEARCH, {
      search: text,
      orderBy: { field: 'RELEVANCE', direction: 'DESC' },
    });
    const code = response.errors?.[0]?.extensions?.code;
    expect(code === undefined || code === 'BAD_USER_INPUT').toBe(true);
    expect((await server.gql('{ products(first: 1) { totalCount } }')).errors).toBeUndefined();
  });

  it('finds, renames and forgets products written a moment ago, by mutation or plain SQL', async () => {
    const created = await server.gql<{ createProduct: { id: string } }>(
      `mutation { createProduct(input: { sku: "ZEBRA-001", name: "Zebra Speaker", price: "9.99" }) { id } }`,
      {},
      { token: admin },
    );
    const id = created.data!.createProduct.id;
    expect(names(await search({ search: 'zebra' }))).toEqual(['Zebra Speaker']);
    await server.sql(`update product set name = 'Okapi Speaker' where id = $1`, [Number(id)]);
    expect(names(await search({ search: 'zebra' }))).toEqual([]);
    expect(names(await search({ search: 'okapi' }))).toEqual(['Okapi Speaker']);
    await server.sql(
      `insert into product (sku, name, price) values ('ZEBRA-002', 'Zebra Lamp', 3)`,
    );
    expect(names(await search({ search: 'zebra' }))).toEqual(['Zebra Lamp']);
    await server.gql(`mutation { deleteProduct(id: "${id}") }`, {}, { token: admin });
    expect(names(await search({ search: 'okapi' }))).toEqual([]);
    await server.sql(`update category set name = 'Hifi Corner' where id = $1`, [audio.id]);
    expect((await search({ search: 'hifi' })).totalCount).toBe(4);
    await server.sql(`update category set name = 'Audio Gear' where id = $1`, [audio.id]);
    await server.sql(`delete from product where sku = 'ZEBRA-002'`);
  });
});

describe('facets and counts', () => {
  const FACETS = `query ($search: String, $filter: ProductFilter) {
    products(search: $search, filter: $filter, first: 1) {
      exact: totalCount
      estimated: totalCount(mode: ESTIMATED)
      capped: totalCount(mode: CAPPED, cap: 2)
      cappedCount(cap: 2) { count capped }
      facets {
        categories { category { name } count }
        priceRange { min max }
        ratings { stars count }
        inStock { count }
      }
    }
  }`;
  interface Facets {
    exact: number;
    estimated: number;
    capped: number;
    cappedCount: { count: number; capped: boolean };
    facets: {
      categories: { category: { name: string }; count: number }[];
      priceRange: { min: string; max: string } | null;
      ratings: { stars: number; count: number }[];
      inStock: { count: number };
    };
  }
  const facets = async (variables: Record<string, unknown>) => {
    const response = await server.gql<{ products: Facets }>(FACETS, variables);
    expect(response.errors).toBeUndefined();
    return response.data!.products;
  };

  it('counts exactly the list the filter and search describe', async () => {
    const headphones = await facets({ search: 'headphones' });
    expect(headphones.exact).toBe(4);
    expect(headphones.capped).toBe(3); // cap + 1: more than 2
    expect(headphones.cappedCount).toEqual({ count: 2, capped: true });
    expect(headphones.estimated).toBeGreaterThanOrEqual(1);
    expect(headphones.facets).toEqual({
      categories: [
        { category: { name: 'Audio Gear' }, count: 3 },
        { category: { name: 'Books' }, count: 1 },
      ],
      priceRange: { min: '12.00', max: '199.00' },
      ratings: [
        { stars: 5, count: 1 },
        { stars: 4, count: 0 },
        { stars: 3, count: 0 },
        { stars: 2, count: 0 },
        { stars: 1, count: 0 },
      ],
      inStock: { count: 3 },
    });
    const books = await facets({ filter: { categoryId: String(audio.id), inStock: true } });
    expect(books.exact).toBe(3);
    expect(books.capped).toBe(3);
    expect(books.cappedCount).toEqual({ count: 2, capped: true });
    expect(books.facets.inStock.count).toBe(3);
    expect(books.facets.ratings.find((r) => r.stars === 3)?.count).toBe(1);
    const none = await facets({ search: 'nothing-like-this-anywhere' });
    expect(none.cappedCount).toEqual({ count: 0, capped: false });
    expect(none.facets).toMatchObject({ categories: [], priceRange: null, inStock: { count: 0 } });
  });

  it('changes by exactly one when a product is added', async () => {
    const before = await facets({ filter: { categoryId: String(books.id) } });
    await createProducts(server.orm, [{ name: 'Poetry', price: '5.00', category: books }]);
    const after = await facets({ filter: { categoryId: String(books.id) } });
    expect(after.exact).toBe(before.exact + 1);
    expect(after.facets.categories[0]!.count).toBe(before.facets.categories[0]!.count + 1);
    expect(after.facets.priceRange?.min).toBe('5.00');
  });

  it('cost a fixed number of statements whatever the page size', async () => {
    const query = (first: number) =>
      `{ products(search: "headphones", first: ${first}) { totalCount edges { highlight node { id category { name } } }
         facets { categories { count } priceRange { min } ratings { count } inStock { count } } } }`;
    const counted = async (first: number) => {
      const counter = countStatements(server.orm);
      try {
        expect((await server.gql(query(first))).errors).toBeUndefined();
        return counter.statements.length;
      } finally {
        counter.stop();
      }
    };
    expect(await counted(1)).toBe(await counted(50));
  });

  it('uses the GIN index for the search on a large catalog (EXPLAIN)', async () => {
    await server.sql(`insert into product (sku, name, description, price)
      select 'BULK-' || g, 'Bulk item ' || g, 'filler text ' || g, 1 from generate_series(1, 10000) g`);
    await server.sql('vacuum analyze product'); // also flushes the GIN pending list
    const plan = await server.sql<{ 'QUERY PLAN': string }>(
      `explain select id from product where search_vector @@ websearch_to_tsquery('english', 'headphones')`,
    );
    expect(plan.map((r) => r['QUERY PLAN']).join('\n')).toMatch(/product_search_vector_index/);
    await server.sql(`delete from product where sku like 'BULK-%'`);
  });
});

describe('typo tolerance (fuzziness AUTO)', () => {
  let shop: Category;
  async function inShop(text: string, orderBy: Record<string, string> = { field: 'NAME' }) {
    return names(await search({ search: text, filter: { categoryId: String(shop.id) }, orderBy }));
  }

  beforeAll(async () => {
    shop = await createCategory(server.orm, { name: 'Fuzzy Shop' });
    await createProducts(server.orm, [
      { name: 'Vintage Turntable', price: '250.00', category: shop },
      { name: 'Desk Lamp', price: '40.00', category: shop },
      { name: 'Camp Stove', price: '60.00', category: shop },
      { name: 'Laptop Stand', price: '35.00', category: shop },
    ]);
  });

  it('finds a 9-letter word with two edits (a letter dropped, another added)', async () => {
    expect(await inShop('trntablex')).toEqual(['Vintage Turntable']);
  });

  it('finds a 6-letter word with two edits far apart (few trigrams left in common)', async () => {
    // "lxptxp" shares one of "laptop"'s seven trigrams: no trigram threshold finds it.
    expect(await inShop('lxptxp')).toEqual(['Laptop Stand']);
    expect(await inShop('lxptxpx')).toEqual([]); // three edits
  });

  it('finds a 4-letter word with one edit', async () => {
    expect(await inShop('lanp')).toEqual(['Desk Lamp']);
  });

  it('does not find a 4-letter word with two edits', async () => {
    expect(await inShop('laxy')).toEqual([]);
  });

  it('needs every word: each within its own allowance', async () => {
    expect(await inShop('vintage trntablex')).toEqual(['Vintage Turntable']);
    expect(await inShop('vintagexyz trntablex')).toEqual([]); // vintage + 3 edits
    expect(await inShop('vxntxgx trntablex')).toEqual([]);
  });

  it('keeps -excluded words out of near spellings too', async () => {
    expect(await inShop('trntablex -vintage')).toEqual([]);
    expect(await inShop('trntablex -lamp')).toEqual(['Vintage Turntable']);
  });

  it('ranks exact matches above near spellings (RELEVANCE)', async () => {
    // "lamp" is exact in Desk Lamp and one edit from "camp" in Camp Stove.
    expect(await inShop('lamp', { field: 'RELEVANCE' })).toEqual(['Desk Lamp', 'Camp Stove']);
  });

  it('finds fuzzy candidates through the search vector index on a large catalog (EXPLAIN)', async () => {
    await server.sql(`insert into product (sku, name, description, price)
      select 'FUZZ-' || g, 'Bulk item ' || g, 'filler text ' || g, 1 from generate_series(1, 10000) g`);
    try {
      await server.sql('vacuum analyze product');
      const sql = server.orm.em
        .fork()
        .createQueryBuilder(Product, 'p')
        .select('id')
        .where(searchCondition(resolveSearch('trntablex')!))
        .getFormattedQuery();
      const plan = await server.sql<{ 'QUERY PLAN': string }>(`explain ${sql}`);
      expect(plan.map((r) => r['QUERY PLAN']).join('\n')).toMatch(/product_search_vector_index/);
    } finally {
      await server.sql(`delete from product where sku like 'FUZZ-%'`);
    }
  });

  it('answers a search, exact or fuzzy, in one SQL statement', async () => {
    for (const text of ['lamp', 'trntablex']) {
      const counter = countStatements(server.orm);
      try {
        const response = await server.gql(
          `query ($s: String, $f: ProductFilter) { products(search: $s, filter: $f) { edges { node { name } } } }`,
          { s: text, f: { categoryId: String(shop.id) } },
        );
        expect(response.errors).toBeUndefined();
        expect(counter.statements).toHaveLength(1);
      } finally {
        counter.stop();
      }
    }
  });
});
