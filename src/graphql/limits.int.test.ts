import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createCategory, createProduct, createReviews } from '../../test/support/factories';
import { sqlStatementsOf } from '../../test/support/metrics';
import { startTestServer, type TestServer } from '../../test/support/server';

/**
 * Hostile documents must be refused before execution, with a code, and leave the server fine.
 * On both executors: graphql-js through Apollo, and compiled from the first run (the fast path
 * answers from the second).
 */
describe.each([
  ['graphql-js', '0'],
  ['compiled, then the fast path', '1'],
])('with %s', (_executor, compileAfter) => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startTestServer({ env: { GRAPHQL_COMPILE_AFTER: compileAfter } });
    // Rows for a refused operation to have read, had it run.
    const category = await createCategory(server.orm);
    const product = await createProduct(server.orm, { category });
    await createReviews(server.orm, product, [5, 4]);
  });
  afterAll(() => server.close());

  async function post(body: string) {
    const response = await fetch(`${server.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
    });
    return {
      status: response.status,
      body: (await response.json()) as {
        errors?: { message: string; extensions?: { code?: string } }[];
      },
    };
  }

  async function expectHealthy() {
    const response = await server.gql('{ products(first: 1) { totalCount } }');
    expect(response.errors).toBeUndefined();
  }

  const nest = (depth: number): string =>
    depth === 0
      ? 'id'
      : `category { products(first: 1) { edges { node { ${nest(depth - 1)} } } } }`;

  describe('query limits', () => {
    it('accepts what real clients ask: a category page with products, reviews and counts', async () => {
      const response = await server.gql(`{
      categories { id name productCount products(first: 10) { totalCount edges { node {
        id name price averageRating reviews(first: 3) { edges { node { id rating title author } } }
      } } } }
    }`);
      expect(response.errors).toBeUndefined();
    });

    it.each([
      [
        '20,000 aliases',
        () =>
          `{ ${Array.from({ length: 20_000 }, (_, i) => `a${i}: categories { id }`).join(' ')} }`,
        [400, 413],
        /alias|larger|tokens/i,
      ],
      [
        'depth 50',
        () =>
          `{ products(first: 1) { edges { node { ${'category { products(first: 1) { edges { node { '.repeat(12)}id${' } } } }'.repeat(12)} } } } }`,
        [400],
        /depth/i,
      ],
      [
        'a product → category → products cycle 10 levels deep',
        () => `{ products(first: 1) { edges { node { ${nest(10)} } } } }`,
        [400],
        /depth|cost/i,
      ],
      [
        'a 2 MB query',
        () => `{ categories { id } } # ${'x'.repeat(2 * 1024 * 1024)}`,
        [413],
        /larger/,
      ],
      ['too many tokens', () => `{ categories { ${'id '.repeat(5000)} } }`, [400], /tokens/],
      [
        'a cost beyond the limit',
        () =>
          `{ a: products(first: 100) { edges { node { reviews(first: 100) { edges { node { id title body author rating product { name } } } } } } } }`,
        [400],
        /expensive/,
      ],
    ])('refuses %s with a GraphQL error and a code', async (_name, build, statuses, message) => {
      const { status, body } = await post(JSON.stringify({ query: build() }));
      expect(statuses).toContain(status);
      expect(body.errors?.[0]?.message).toMatch(message);
      expect(body.errors?.[0]?.extensions?.code).toEqual(
        expect.stringMatching(
          /^(GRAPHQL_VALIDATION_FAILED|GRAPHQL_PARSE_FAILED|BAD_USER_INPUT|PAYLOAD_TOO_LARGE)$/,
        ),
      );
      await expectHealthy();
    });

    it('prices one document anew for each page size and @include its variables ask for', async () => {
      const query = `query Deep($n: Int!, $m: Int!, $withReviews: Boolean!) {
      products(first: $n) { edges { node { id reviews(first: $m) @include(if: $withReviews) {
        edges { node { id title body author rating product { name } } } } } } } }`;
      const costOf = async (variables: Record<string, unknown>) => {
        const { status, body } = await post(JSON.stringify({ query, variables }));
        return { status, message: body.errors?.[0]?.message ?? 'ok' };
      };
      const cheap = { n: 2, m: 2, withReviews: true };
      const expensive = { n: 100, m: 100, withReviews: true };
      expect(await costOf(cheap)).toEqual({ status: 200, message: 'ok' });
      expect(await costOf(expensive)).toMatchObject({ status: 400, message: /expensive/ });
      expect(await costOf(cheap)).toEqual({ status: 200, message: 'ok' });
      expect(await costOf({ ...expensive, withReviews: false })).toEqual({
        status: 200,
        message: 'ok',
      });
      expect(await costOf(expensive)).toMatchObject({ status: 400, message: /expensive/ });
    });

    it('prices a variable left out at its default, not as the null another request sent', async () => {
      const query = `query Defaulted($n: Int = 100) { products(first: $n) { edges { node {
      reviews(first: 20) { edges { node { id title body author rating product { name } } } } } } } }`;
      const send = async (variables: Record<string, unknown>) =>
        (await post(JSON.stringify({ query, variables }))).status;
      expect(await send({ n: null })).toBe(200); // null: the default page size, 20
      expect(await send({})).toBe(400); // absent: the declared default, 100
    });

    it('refuses a 10,000-operation batch: batching is off', async () => {
      const batch = JSON.stringify(
        Array.from({ length: 10_000 }, () => ({ query: '{ categories { id } }' })),
      );
      const { status, body } = await post(batch);
      expect([400, 413]).toContain(status);
      expect(body.errors?.[0]?.extensions?.code).toMatch(/BAD_REQUEST|PAYLOAD_TOO_LARGE/);
      await expectHealthy();
    });

    it('refuses malformed JSON in GraphQL shape', async () => {
      const { status, body } = await post('{"query": ');
      expect(status).toBe(400);
      expect(body.errors?.[0]?.extensions?.code).toBe('BAD_REQUEST');
    });
  });

  /** A refusal before anything ran: 400, a code, a message, and no SQL for the operation. */
  async function expectRefused(
    operation: string,
    body: Record<string, unknown> | string,
    code: string,
    message: RegExp,
  ) {
    const statementsBefore = await sqlStatementsOf(server, operation);
    const { status, body: answer } = await post(
      typeof body === 'string' ? body : JSON.stringify({ operationName: operation, ...body }),
    );
    expect({ status, code: answer.errors?.[0]?.extensions?.code }).toEqual({ status: 400, code });
    expect(answer.errors?.[0]?.message).toMatch(message);
    expect(answer).not.toHaveProperty('data.categories');
    expect(await sqlStatementsOf(server, operation)).toBe(statementsBefore);
    await expectHealthy();
  }

  /** Runs a document once with harmless variables: compiled from then on (GRAPHQL_COMPILE_AFTER=1). */
  async function warmUp(operation: string, query: string, variables: Record<string, unknown>) {
    const { status, body } = await post(
      JSON.stringify({ query, variables, operationName: operation }),
    );
    expect({ status, errors: body.errors }).toEqual({ status: 200, errors: undefined });
  }

  describe('the cost limit fails closed', () => {
    it('costs fragments once each: 20 × 20 × 20 spreads are refused, not run uncosted', async () => {
      // graphql-query-complexity walked every spread again and threw past 10,000 nodes: unpriced.
      const spreads = (fragment: string) => ` ...${fragment}`.repeat(20);
      const query = `query Spreads { categories { ...F0 } }
      fragment F0 on Category {${spreads('F1')} }
      fragment F1 on Category {${spreads('F2')} }
      fragment F2 on Category {${spreads('F3')} }
      fragment F3 on Category { id name products(first: 100) { edges { node { id name } } } }`;
      await expectRefused('Spreads', { query }, 'BAD_USER_INPUT', /too expensive/);
    });

    it('refuses @skip with a null condition (execution would fail on it) instead of pricing it free', async () => {
      const query = `query NullSkip($v: Boolean = false) { categories { id products(first: 100) {
      edges { node { id reviews(first: 100) @skip(if: $v) { edges { node { id title body author
      product { name reviews(first: 100) { edges { node { id } } } } } } } } } } } }`;
      await warmUp('NullSkip', query, { v: true });
      await expectRefused(
        'NullSkip',
        { query, variables: { v: null } },
        'BAD_USER_INPUT',
        /"if" of non-null type "Boolean!" must not be null/,
      );
    });

    it('refuses an argument that would not coerce (a null for an ID!), before anything runs', async () => {
      const query = `query NullId($id: ID = 1) { categories { id } product(id: $id) { id } }`;
      await warmUp('NullId', query, { id: 1 });
      await expectRefused(
        'NullId',
        { query, variables: { id: null } },
        'BAD_USER_INPUT',
        /"id" of non-null type "ID!" must not be null/,
      );
    });

    it('refuses variables that do not coerce, before anything runs', async () => {
      const query = `query BadPage($n: Int) { categories { id products(first: $n) { totalCount } } }`;
      await warmUp('BadPage', query, { n: 1 });
      await expectRefused(
        'BadPage',
        { query, variables: { n: 'many' } },
        'BAD_USER_INPUT',
        /^Variable "\$n" got invalid value "many"/,
      );
    });

    it('leaves a variable the cost does not read to execution, which refuses it before anything runs', async () => {
      const query = `query BadId($id: ID!) { categories { id } product(id: $id) { id } }`;
      await warmUp('BadId', query, { id: 1 }); // its cost is cached from here on
      await expectRefused(
        'BadId',
        { query, variables: { id: { not: 'an id' } } },
        'BAD_USER_INPUT',
        /^Variable "\$id" got invalid value/,
      );
    });

    it('refuses a deeply nested variable in words, without serialising it', async () => {
      const query = `query Deep($first: Int) { categories { id products(first: $first) { totalCount } } }`;
      await warmUp('Deep', query, { first: 1 });
      const body = (depth: number) =>
        `{"operationName":"Deep","query":${JSON.stringify(query)},"variables":{"first":${'['.repeat(depth)}1${']'.repeat(depth)}}}`;
      // 100,000 deep: the body is refused before it is parsed (HTTP_MAX_JSON_DEPTH).
      await expectRefused('Deep', body(100_000), 'BAD_REQUEST', /deeper than 64 levels/);
      // An Int given a list as deep as a body may be: refused by coercion, in words.
      await expectRefused(
        'Deep',
        body(60),
        'BAD_USER_INPUT',
        /^Variable "\$first" got invalid value/,
      );
    });
  });

  describe('the alias limit counts what the response holds', () => {
    const aliases = (count: number, field: string) =>
      Array.from({ length: count }, (_, i) => `${field[0]}${i}: ${field}`).join(' ');

    it('counts aliased __typename fields', async () => {
      const query = `query Typenames { categories { id } ${aliases(200, '__typename')} }`;
      await expectRefused('Typenames', { query }, 'GRAPHQL_VALIDATION_FAILED', /Too many aliases/);
    });

    it("counts a fragment's aliases once per spread", async () => {
      // 15 × 2 + 2: graphql-armor counted 17.
      const query = `query Spread { x: categories { ...Names } y: categories { ...Names } }
      fragment Names on Category { ${aliases(15, 'name')} }`;
      await expectRefused(
        'Spread',
        { query },
        'GRAPHQL_VALIDATION_FAILED',
        /has 32 aliased fields .*limit 20/,
      );
    });

    it('accepts exactly the limit once fragments are expanded', async () => {
      const query = `query AtLimit { x: categories { ...Names } y: categories { ...Names } }
      fragment Names on Category { ${aliases(8, 'name')} t: __typename }`;
      for (let i = 0; i < 3; i++) await warmUp('AtLimit', query, {});
    });
  });
});
