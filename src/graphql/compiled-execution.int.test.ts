import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createCategory, createProduct, createReviews } from '../../test/support/factories';
import { startTestServer, type TestServer } from '../../test/support/server';

/** Nested pages, aliases, a fragment, a directive, variables and defaults: most of what compiles. */
const CATALOG = /* GraphQL */ `
  query Catalog($first: Int = 2, $withReviews: Boolean!) {
    categories {
      id
      name
      productCount
      products(first: $first) {
        edges {
          cursor
          node {
            ...ProductFields
            reviews(first: 2) @include(if: $withReviews) {
              edges {
                node {
                  rating
                  title
                }
              }
            }
          }
        }
        pageInfo {
          hasNextPage
          endCursor
        }
      }
    }
    cheapest: products(first: 1, orderBy: { field: PRICE, direction: ASC }) {
      edges {
        node {
          name
          price
        }
      }
    }
  }
  fragment ProductFields on Product {
    __typename
    id
    sku
    name
    price
    stock
    createdAt
    averageRating
    reviewCount
    category {
      name
    }
  }
`;

const BY_ID = /* GraphQL */ `
  query ById($id: ID!) {
    product(id: $id) {
      name
      reviews(first: 1, after: "not-a-cursor") {
        totalCount
      }
    }
  }
`;

async function compiledDocuments(server: TestServer): Promise<number> {
  const text = await (await fetch(`${server.url}/metrics`)).text();
  const match = /^graphql_documents_compiled_total\{outcome="ok"\} (\d+)$/m.exec(text);
  return Number(match?.[1] ?? 0);
}

describe('queries compiled after their second run', () => {
  let server: TestServer;
  let productId: number;

  beforeAll(async () => {
    server = await startTestServer();
    for (const name of ['Garden', 'Kitchen']) {
      const category = await createCategory(server.orm, { name });
      for (let i = 0; i < 3; i++) {
        const product = await createProduct(server.orm, { category });
        await createReviews(server.orm, product, [5, 3, 4]);
        productId = product.id;
      }
    }
  });
  afterAll(() => server.close());

  it('answers exactly as graphql-js did on the first run, once compiled', async () => {
    const variables = { withReviews: true };
    const first = await server.gql(CATALOG, variables); // graphql-js
    expect(first.errors).toBeUndefined();
    expect(await compiledDocuments(server)).toBe(0);
    const second = await server.gql(CATALOG, variables); // compiled, then run
    const third = await server.gql(CATALOG, variables);
    expect(await compiledDocuments(server)).toBe(1);
    expect(second).toEqual(first);
    expect(third).toEqual(first);
    // Variables still matter to the compiled form: the directive and the default.
    const without = await server.gql(CATALOG, { withReviews: false, first: 1 });
    const categories = (without.data as { categories: { products: { edges: object[] } }[] })
      .categories;
    expect(categories.every((c) => c.products.edges.length === 1)).toBe(true);
    expect(JSON.stringify(without.data)).not.toContain('reviews');
  });

  it('reports a resolver error with the same code, path and locations as graphql-js', async () => {
    const runs = [];
    for (let i = 0; i < 3; i++) runs.push(await server.gql(BY_ID, { id: String(productId) }));
    expect(runs[0]!.errors).toEqual([
      {
        message: 'after: is not a cursor this API issued',
        path: ['product', 'reviews'],
        locations: [{ line: 5, column: 7 }],
        extensions: {
          code: 'BAD_USER_INPUT',
          fields: [
            { field: 'after', constraint: 'cursor', message: 'is not a cursor this API issued' },
          ],
        },
      },
    ]);
    expect(runs[1]).toEqual(runs[0]);
    expect(runs[2]).toEqual(runs[0]);
  });

  it('treats odd aliases and string arguments as data, not code', async () => {
    const documents = [
      '{ __proto__: categories { name } constructor: categories { id } }',
      '{ products(search: "\\"); throw new Error(1); //`${x}` \\u2028 \\\\") { totalCount } }',
    ];
    for (const document of documents) {
      const first = await server.gql(document); // graphql-js
      expect(first.errors).toBeUndefined();
      expect(await server.gql(document)).toEqual(first); // compiled
    }
    const aliased = await server.gql(documents[0]!);
    // Own keys, not the prototype (graphql-jit writes `__proto__` last: the one order it changes).
    expect(Object.keys(aliased.data!).sort()).toEqual(['__proto__', 'constructor']);
  });

  it('refuses bad variables as graphql-js does (400, BAD_USER_INPUT) once compiled', async () => {
    await server.gql(BY_ID, { id: String(productId) });
    const refused = await server.gql(BY_ID, { id: { not: 'an id' } });
    expect(refused.status).toBe(400);
    expect(refused.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(refused.errors?.[0]?.message).toMatch(/^Variable "\$id" got invalid value/);
  });

  it('masks a failing statement as graphql-js does, keeping the path (an outage: faults test)', async () => {
    const query = `query Name($id: ID!) { product(id: $id) { name } }`;
    await server.gql(query, { id: String(productId) });
    await server.gql(query, { id: String(productId) });
    await server.sql('alter table product rename to product_gone');
    try {
      const failed = await server.gql(query, { id: String(productId) });
      // A missing table is a bug, not an outage: masked, with the field's path kept.
      expect(failed.errors).toEqual([
        {
          message: 'Internal server error',
          locations: [{ line: 1, column: 24 }],
          path: ['product'],
          extensions: { code: 'INTERNAL_SERVER_ERROR' },
        },
      ]);
    } finally {
      await server.sql('alter table product_gone rename to product');
    }
  });
});

describe('GRAPHQL_COMPILE_AFTER=0', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ env: { GRAPHQL_COMPILE_AFTER: '0' } });
  });
  afterAll(() => server.close());

  it('leaves every operation to graphql-js', async () => {
    for (let i = 0; i < 3; i++) {
      expect((await server.gql('{ categories { id } }')).errors).toBeUndefined();
    }
    expect(await compiledDocuments(server)).toBe(0);
  });
});
