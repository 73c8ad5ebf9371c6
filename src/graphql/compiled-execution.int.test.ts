import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createCategory, createProduct, createReviews } from '../../test/support/factories';
import { sqlStatementsOf } from '../../test/support/metrics';
import { postRaw } from '../../test/support/http';
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
  query ById($id: ID!, $after: String) {
    product(id: $id) {
      name
      reviews(first: 1, after: $after) {
        totalCount
      }
    }
  }
`;

async function compiledDocuments(server: TestServer, outcome = 'ok'): Promise<number> {
  const text = await (await fetch(`${server.url}/metrics`)).text();
  const line = new RegExp(
    `^graphql_documents_compiled_total\\{outcome="${outcome}"\\} (\\d+)$`,
    'm',
  );
  return Number(line.exec(text)?.[1] ?? 0);
}

describe('queries compiled after their second run', () => {
  let server: TestServer;
  let productId: number;

  beforeAll(async () => {
    // Pinned: these tests are about the second run (whatever TEST_EXECUTION_MODE says).
    server = await startTestServer({ env: { GRAPHQL_COMPILE_AFTER: '2' } });
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
    const variables = { id: String(productId), after: 'not-a-cursor' };
    for (let i = 0; i < 3; i++) runs.push(await server.gql(BY_ID, variables));
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

  it('compiles a document with string literals without writing them into code', async () => {
    // graphql-jit 0.8.9 would turn this literal into `new Date(…)` code in the compiled query:
    // hoisted into a variable, it is data at run time (literal-hoisting.ts).
    const injection = `{ products(search: "__MAGIC_DATE__33a9e76d_02e0_4128_8e92_3530ad3da74d(globalThis.__compiledInjection=1,0)") { totalCount } }`;
    const compiledBefore = await compiledDocuments(server);
    for (let i = 0; i < 3; i++) {
      expect(await server.gql(injection)).toMatchObject({ data: { products: { totalCount: 0 } } });
    }
    expect((globalThis as { __compiledInjection?: unknown }).__compiledInjection).toBeUndefined();
    expect(await compiledDocuments(server)).toBe(compiledBefore + 1);
  });

  it('leaves a string literal that cannot be hoisted (a variable default) to graphql-js', async () => {
    const document = `query Defaulted($search: String = "__MAGIC_DATE__x(globalThis.__compiledInjection=1,0)") { products(search: $search) { totalCount } }`;
    const skippedBefore = await compiledDocuments(server, 'skipped');
    for (let i = 0; i < 3; i++) {
      expect(await server.gql(document)).toMatchObject({ data: { products: { totalCount: 0 } } });
    }
    expect((globalThis as { __compiledInjection?: unknown }).__compiledInjection).toBeUndefined();
    expect(await compiledDocuments(server, 'skipped')).toBe(skippedBefore + 1);
  });

  it('compiles every literal variant of a document once, each answering its own literals', async () => {
    const ids = await server.sql<{ id: number }>('select id from product order by id');
    const compiledBefore = await compiledDocuments(server);
    // Ids of other lengths, an unknown one, a layout of its own: one form.
    const texts = [
      ...ids.map(
        ({ id }) => `{ product(id: "${id}") { id name reviews(first: 2) { totalCount } } }`,
      ),
      '{ product(id: "999999999") { id name reviews(first: 2) { totalCount } } }',
      `{product(id:${ids[0]!.id}){id name reviews(first:2){totalCount}}}`,
    ];
    for (let round = 0; round < 3; round++) {
      for (const text of texts) {
        const id = /id: ?"?(\d+)/.exec(text)![1]!;
        const answer = await server.gql(text);
        expect(answer.errors).toBeUndefined();
        expect(answer.data).toEqual({
          product: id === '999999999' ? null : expect.objectContaining({ id }),
        });
      }
    }
    expect(await compiledDocuments(server)).toBe(compiledBefore + 1);
  });

  it("reports errors at the variant's own locations, not those of the text first compiled", async () => {
    const variant = (id: string, after: string) =>
      `{ a: product(id: "${id}") { name } b: product(id: "${productId}") { reviews(first: 1, after: "${after}") { totalCount } } }`;
    const compiledBefore = await compiledDocuments(server);
    // The form is compiled from the first text; the next ones' fields sit further right.
    for (const [id, after] of [
      ['1', 'x'],
      ['1', 'x'],
      ['123456', 'not-a-cursor'],
      ['12', 'not-a-cursor-either'],
    ] as const) {
      const text = variant(id, after);
      for (let i = 0; i < 2; i++) {
        const failed = await server.gql(text);
        expect(failed.errors).toEqual([
          expect.objectContaining({
            path: ['b', 'reviews'],
            locations: [{ line: 1, column: text.indexOf('reviews(') + 1 }],
          }),
        ]);
      }
    }
    expect(await compiledDocuments(server)).toBe(compiledBefore + 1);
  });

  it('refuses a bad literal with the same validation error once its form is compiled', async () => {
    const variant = (minPrice: string, id: string) =>
      `{ products(first: 1, filter: { minPrice: ${minPrice} }) { totalCount } product(id: ${id}) { id } }`;
    const bad = [variant('"1,50"', `"${productId}"`), variant('"1.50"', '1.5')];
    // Before the form is compiled, then after: the same refusal, word for word.
    const before = await Promise.all(bad.map((text) => postRaw(server, text)));
    expect(JSON.parse(before[0]!.body)).toMatchObject({
      errors: [{ message: expect.stringContaining('Decimal must be a plain decimal number') }],
    });
    expect(JSON.parse(before[1]!.body)).toMatchObject({
      errors: [
        {
          message: expect.stringContaining('ID cannot represent'),
          locations: [{ line: 1, column: bad[1]!.lastIndexOf('1.5') + 1 }],
        },
      ],
    });
    const compiledBefore = await compiledDocuments(server);
    const good = variant('"1.50"', `"${productId}"`);
    for (let i = 0; i < 3; i++) expect((await server.gql(good)).errors).toBeUndefined();
    expect(await compiledDocuments(server)).toBe(compiledBefore + 1);
    for (let i = 0; i < 2; i++) {
      expect(await Promise.all(bad.map((text) => postRaw(server, text)))).toEqual(before);
    }
  });

  it("keeps the client's own variables apart from the hoisted ones, whatever their names", async () => {
    const text = `query Named($_lit0: ID!, $__lit0: Int) {
      a: product(id: $_lit0) { id reviews(first: $__lit0) { totalCount } }
      b: product(id: "${productId}") { id reviews(first: 1) { totalCount } }
    }`;
    const other = (await server.sql<{ id: number }>('select min(id) as id from product'))[0]!.id;
    for (let i = 0; i < 3; i++) {
      const answer = await server.gql(text, { _lit0: String(other), __lit0: 2 });
      expect(answer.data).toEqual({
        a: { id: String(other), reviews: { totalCount: 3 } },
        b: { id: String(productId), reviews: { totalCount: 3 } },
      });
    }
  });

  it('leaves response keys of Object.prototype to graphql-js (byte for byte, every run)', async () => {
    const documents = [
      '{ __proto__: categories { name } constructor: categories { id } }',
      '{ categories { toString: name hasOwnProperty: id } valueOf: categories { id } }',
      '{ categories { __x: name } }',
    ];
    for (const document of documents) {
      const skippedBefore = await compiledDocuments(server, 'skipped');
      const runs = [];
      for (let i = 0; i < 3; i++) runs.push(await postRaw(server, document));
      expect(runs[0]!.status).toBe(200);
      expect(runs[1]).toEqual(runs[0]);
      expect(runs[2]).toEqual(runs[0]);
      expect(await compiledDocuments(server, 'skipped')).toBe(skippedBefore + 1);
    }
    const [first] = [await postRaw(server, documents[0]!)];
    // Own keys in document order, as graphql-js writes them.
    expect(Object.keys((JSON.parse(first.body) as { data: object }).data)).toEqual([
      '__proto__',
      'constructor',
    ]);
  });

  it('leaves @skip / @include on a variable that may be null to graphql-js', async () => {
    const document = 'query Flag($on: Boolean = true) { categories @include(if: $on) { id } }';
    const runs = [];
    for (let i = 0; i < 3; i++) runs.push(await postRaw(server, document, { on: null }));
    // The null is refused before either executor runs (the cost walk coerces as execution does).
    expect(runs[0]!.status).toBe(400);
    expect(JSON.parse(runs[0]!.body)).toMatchObject({
      errors: [{ extensions: { code: 'BAD_USER_INPUT' } }],
    });
    expect(runs[0]!.cacheControl).toBe('no-store');
    expect(runs[1]).toEqual(runs[0]);
    expect(runs[2]).toEqual(runs[0]);
    // Whatever the values, the document class stays on graphql-js.
    const skippedBefore = await compiledDocuments(server, 'skipped');
    for (let i = 0; i < 2; i++) await postRaw(server, document, { on: true });
    expect(await compiledDocuments(server, 'skipped')).toBe(skippedBefore + 1);
    // A non-null variable cannot be null: that document compiles.
    const compiledBefore = await compiledDocuments(server);
    const nonNull = 'query Strict($on: Boolean!) { categories @skip(if: $on) { id } }';
    for (let i = 0; i < 2; i++) await postRaw(server, nonNull, { on: false });
    expect(await compiledDocuments(server)).toBe(compiledBefore + 1);
  });

  it('keeps operations of one document apart (they share one parsed document)', async () => {
    const document = /* GraphQL */ `
      query WithFlag($id: ID!, $withName: Boolean!) {
        product(id: $id) {
          ...Named @include(if: $withName)
        }
      }
      query Plain($id: ID!) {
        product(id: $id) {
          ...Named
        }
      }
      fragment Named on Product {
        name
      }
    `;
    const id = String(productId);
    for (let i = 0; i < 2; i++) {
      const flagged = await server.gql(
        document,
        { id, withName: false },
        { operationName: 'WithFlag' },
      );
      expect(flagged.data).toEqual({ product: {} });
    }
    for (let i = 0; i < 3; i++) {
      const plain = await server.gql(document, { id }, { operationName: 'Plain' });
      expect(plain.data).toEqual({ product: { name: expect.any(String) } });
    }
  });

  it('leaves a variable inside an input literal to graphql-js (an absent one keeps the default)', async () => {
    const document = /* GraphQL */ `
      query Ordered($direction: OrderDirection) {
        products(first: 3, orderBy: { field: PRICE, direction: $direction }) {
          edges {
            node {
              price
            }
          }
        }
      }
    `;
    const skippedBefore = await compiledDocuments(server, 'skipped');
    const answers = [];
    for (let i = 0; i < 3; i++) answers.push(await server.gql(document, {}));
    const prices = (
      answers[0]!.data as { products: { edges: { node: { price: string } }[] } }
    ).products.edges.map((e) => Number(e.node.price));
    expect(prices).toEqual([...prices].sort((a, b) => a - b)); // the default: ascending
    expect(answers[1]).toEqual(answers[0]);
    expect(answers[2]).toEqual(answers[0]);
    expect(await compiledDocuments(server, 'skipped')).toBe(skippedBefore + 1);
  });

  it('refuses bad variables as graphql-js does (400, BAD_USER_INPUT) once compiled', async () => {
    await server.gql(BY_ID, { id: String(productId) });
    const refused = await server.gql(BY_ID, { id: { not: 'an id' } });
    expect(refused.status).toBe(400);
    expect(refused.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(refused.errors?.[0]?.message).toMatch(/^Variable "\$id" got invalid value/);
  });

  it('refuses an operation name the document does not have, however often it is asked', async () => {
    const query = '{ categories { id } }';
    for (let i = 0; i < 3; i++) expect((await server.gql(query)).errors).toBeUndefined();
    for (const operationName of ['Nope', '']) {
      for (let i = 0; i < 3; i++) {
        const refused = await server.gql(query, undefined, { operationName });
        expect(refused.status).toBe(400);
        expect(refused.errors).toEqual([
          {
            message: `Unknown operation named "${operationName}".`,
            extensions: { code: 'OPERATION_RESOLUTION_FAILURE' },
          },
        ]);
      }
    }
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

describe('a compiled query without errors', () => {
  let server: TestServer;
  /** Operations Apollo executed itself (its execution hooks ran), by operation name. */
  const executedByApollo: string[] = [];

  beforeAll(async () => {
    server = await startTestServer({
      env: { GRAPHQL_COMPILE_AFTER: '2' },
      apolloPlugins: [
        {
          async requestDidStart() {
            return {
              async executionDidStart({ operationName }) {
                executedByApollo.push(operationName ?? '');
              },
            };
          },
        },
      ],
    });
    await createProduct(server.orm, { category: await createCategory(server.orm) });
  });
  afterAll(() => server.close());

  it("is the answer itself: Apollo's execution step is skipped, the response is complete", async () => {
    const query = 'query Listed { categories { name productCount } }';
    const responses = [];
    for (let i = 0; i < 3; i++) {
      responses.push(
        await fetch(`${server.url}/graphql`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ query }),
        }),
      );
    }
    // The first run on graphql-js, through Apollo; the second and third compiled, answered
    // from the plugin.
    expect(executedByApollo).toEqual(['Listed']);
    const [first, ...compiled] = (await Promise.all(responses.map((r) => r.json()))) as unknown[];
    expect(compiled).toEqual([first, first]);
    for (const response of responses) {
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toBe('application/json; charset=utf-8');
      expect(response.headers.get('cache-control')).toBe('max-age=5, public');
    }
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    expect(metrics).toMatch(
      /^graphql_operation_duration_seconds_count\{operation="Listed",type="query",outcome="ok"\} 3$/m,
    );
    expect(metrics).toMatch(/^graphql_operation_sql_statements_count\{operation="Listed"\} 3$/m);
  });

  it('leaves a compiled run with errors to Apollo, which reports it (run once, not twice)', async () => {
    // The categories and the product are read (a statement each), then the product's review
    // page refuses its cursor.
    const query = `query Broken($id: ID!, $after: String) {
      categories { id }
      product(id: $id) { reviews(first: 1, after: $after) { totalCount } }
    }`;
    const id = (await server.sql<{ id: number }>('select id from product limit 1'))[0]!.id;
    for (let i = 0; i < 2; i++) await server.gql(query, { id: String(id) });
    const before = executedByApollo.length;
    const statementsBefore = await sqlStatementsOf(server, 'Broken');
    const failed = await server.gql(query, { id: String(id), after: 'not-a-cursor' });
    expect(failed.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(failed.data).toEqual({ categories: [{ id: expect.any(String) }], product: null });
    expect(executedByApollo.slice(before)).toEqual(['Broken']);
    // Handed over as it ran: the compiled run's result, not a second execution.
    expect((await sqlStatementsOf(server, 'Broken')) - statementsBefore).toBe(2);
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
