import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startTestServer, type TestServer } from '../../test/support/server';

/** Hostile documents must be refused before execution, with a code, and leave the server fine. */

let server: TestServer;

beforeAll(async () => {
  server = await startTestServer();
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
  depth === 0 ? 'id' : `category { products(first: 1) { edges { node { ${nest(depth - 1)} } } } }`;

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
      () => `{ ${Array.from({ length: 20_000 }, (_, i) => `a${i}: categories { id }`).join(' ')} }`,
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
