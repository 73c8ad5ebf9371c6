import { afterAll, afterEach, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { createHash } from 'node:crypto';
import { createCategory, createProduct, createReviews } from '../../test/support/factories';
import { metricsText, sqlStatementsOf } from '../../test/support/metrics';
import { startTestServer, type TestServer } from '../../test/support/server';
import { CompiledExecution } from './compiled-execution';

/**
 * The fast path answers a compiled query without Apollo's pipeline: what a client receives must
 * be what Apollo sent for the same request, and everything the fast path cannot answer exactly
 * so must still reach Apollo. GRAPHQL_COMPILE_AFTER is 2 (the default): a document's first run
 * is graphql-js through Apollo, its second compiled through Apollo, its third on the fast path.
 */

const BY_ID = `query ById($id: ID!) { product(id: $id) { id sku name price stock category { id name } } }`;

interface Answer {
  status: number;
  contentType: string | null;
  cacheControl: string | null;
  body: string;
}

async function post(
  server: TestServer,
  body: Record<string, unknown>,
  headers: Record<string, string> = {},
): Promise<Answer> {
  const response = await fetch(`${server.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
  return {
    status: response.status,
    contentType: response.headers.get('content-type'),
    cacheControl: response.headers.get('cache-control'),
    body: await response.text(),
  };
}

function apolloCalls(server: TestServer) {
  return jest.spyOn(server.app.apollo, 'executeHTTPGraphQLRequest');
}

describe('the fast path', () => {
  let server: TestServer;
  let productId: string;
  const logLines: string[] = [];

  beforeAll(async () => {
    // Pinned: first run graphql-js, second compiled, third the fast path (see above).
    server = await startTestServer({ logLines, env: { GRAPHQL_COMPILE_AFTER: '2' } });
    const category = await createCategory(server.orm, { name: 'Garden' });
    const product = await createProduct(server.orm, { category, name: 'Rake' });
    await createReviews(server.orm, product, [5, 4]);
    productId = String(product.id);
  });
  afterAll(() => server.close());
  afterEach(() => {
    jest.restoreAllMocks();
  });

  it.each([
    ['no accept header', {}],
    ['accept */*', { accept: '*/*' }],
    ['accept application/json', { accept: 'application/json' }],
    [
      "Apollo Client's accept",
      { accept: 'application/graphql-response+json,application/json;q=0.9' },
    ],
  ])('answers byte for byte as Apollo did (%s)', async (_case, headers) => {
    const calls = apolloCalls(server);
    // A document of its own per case, so that each starts uncompiled (a comment would not do:
    // documents that print alike share their compiled query).
    const query = BY_ID.replace('ById', `ById_${_case.replace(/\W+/g, '_')}`);
    const body = { query, variables: { id: productId } };
    const answers = [];
    for (let i = 0; i < 4; i++) answers.push(await post(server, body, headers));
    expect(calls).toHaveBeenCalledTimes(2); // graphql-js, then compiled: both Apollo's
    expect(answers[0]).toMatchObject({ status: 200, cacheControl: 'max-age=5, public' });
    expect(JSON.parse(answers[0]!.body)).toEqual({
      data: {
        product: {
          id: productId,
          sku: expect.any(String),
          name: 'Rake',
          price: expect.any(String),
          stock: expect.any(Number),
          category: { id: expect.any(String), name: 'Garden' },
        },
      },
    });
    expect(answers.slice(1)).toEqual([answers[0], answers[0], answers[0]]);
  });

  it('answers an operation picked by name from several, and a signed-in reader privately', async () => {
    const query = `
      query Named($id: ID!) { product(id: $id) { name } }
      query Listed { categories { name productCount } }
    `;
    const token = await server.token({ sub: 'reader-1', name: 'Reader' });
    const headers = { authorization: `Bearer ${token}` };
    const calls = apolloCalls(server);
    const answers = [];
    for (let i = 0; i < 3; i++) {
      answers.push(await post(server, { query, operationName: 'Listed' }, headers));
    }
    for (let i = 0; i < 3; i++) {
      answers.push(
        await post(server, { query, operationName: 'Named', variables: { id: productId } }),
      );
    }
    expect(calls).toHaveBeenCalledTimes(4);
    expect(answers[2]).toEqual(answers[0]);
    expect(answers[0]).toMatchObject({ status: 200, cacheControl: 'max-age=5, private' });
    expect(JSON.parse(answers[0]!.body)).toEqual({
      data: { categories: [{ name: 'Garden', productCount: 1 }] },
    });
    expect(answers[5]).toEqual(answers[3]);
    expect(JSON.parse(answers[5]!.body)).toEqual({ data: { product: { name: 'Rake' } } });
  });

  it('answers an automatic persisted query by its hash once Apollo has registered it', async () => {
    const query = `query Persisted { categories { id name } }`;
    const sha256Hash = createHash('sha256').update(query).digest('hex');
    const extensions = { persistedQuery: { version: 1, sha256Hash } };
    // Apollo Client: the hash alone, then (not found) the hash with the text, then the hash.
    const unknown = await post(server, { operationName: 'Persisted', extensions });
    expect(firstError(unknown).extensions.code).toBe('PERSISTED_QUERY_NOT_FOUND');
    const registered = await post(server, { query, operationName: 'Persisted', extensions });
    const calls = apolloCalls(server);
    const byHash = [];
    for (let i = 0; i < 3; i++) {
      byHash.push(
        await post(server, {
          operationName: 'Persisted',
          extensions: { ...extensions, clientLibrary: { name: '@apollo/client', version: '4' } },
        }),
      );
    }
    expect(calls).toHaveBeenCalledTimes(1); // compiled on the second run
    expect(byHash).toEqual([registered, registered, registered]);
  });

  it('reads afresh on every request: each has its own session', async () => {
    const query = `query Fresh($id: ID!) { product(id: $id) { name stock } }`;
    for (let i = 0; i < 2; i++) await post(server, { query, variables: { id: productId } });
    const calls = apolloCalls(server);
    await server.sql('update product set stock = 7 where id = $1', [productId]);
    const before = await post(server, { query, variables: { id: productId } });
    await server.sql('update product set stock = 8 where id = $1', [productId]);
    const after = await post(server, { query, variables: { id: productId } });
    expect(calls).not.toHaveBeenCalled();
    expect(stockOf(before)).toBe(7);
    expect(stockOf(after)).toBe(8);
  });

  it('records its operations as Apollo does: duration, SQL statements, the log line', async () => {
    const query = `query Counted($id: ID!) { product(id: $id) { name category { name } } }`;
    const calls = apolloCalls(server);
    for (let i = 0; i < 5; i++) await post(server, { query, variables: { id: productId } });
    expect(calls).toHaveBeenCalledTimes(2); // three on the fast path
    const metrics = await metricsText(server);
    expect(metrics).toMatch(
      /^graphql_operation_duration_seconds_count\{operation="Counted",type="query",outcome="ok"\} 5$/m,
    );
    // One statement each: the product with its category.
    expect(metrics).toMatch(/^graphql_operation_sql_statements_count\{operation="Counted"\} 5$/m);
    expect(metrics).toMatch(/^graphql_operation_sql_statements_sum\{operation="Counted"\} 5$/m);
    const lines = logLines
      .map((line) => JSON.parse(line) as Record<string, unknown>)
      .filter((line) => line.operation === 'Counted');
    expect(lines).toHaveLength(5);
    for (const line of lines) {
      expect(line).toMatchObject({
        msg: 'request completed',
        status: 200,
        operationType: 'query',
        errors: [],
        reqId: expect.any(String),
      });
    }
  });

  describe('leaves to Apollo', () => {
    it('an operation over the cost limit, which it refuses', async () => {
      const query = `query Costly($n: Int) { categories { products(first: $n) { edges { node { reviews(first: 100) { totalCount } } } } } }`;
      for (let i = 0; i < 2; i++) await post(server, { query, variables: { n: 1 } });
      const calls = apolloCalls(server);
      const refused = await post(server, { query, variables: { n: 100 } });
      expect(calls).toHaveBeenCalledTimes(1);
      expect(refused.status).toBe(400);
      expect(firstError(refused).extensions).toMatchObject({
        code: 'BAD_USER_INPUT',
        maximumCost: 10_000,
      });
    });

    it('a request whose token is refused', async () => {
      for (let i = 0; i < 2; i++)
        await post(server, { query: BY_ID, variables: { id: productId } });
      const calls = apolloCalls(server);
      const refused = await post(
        server,
        { query: BY_ID, variables: { id: productId } },
        { authorization: 'Bearer not-a-token' },
      );
      expect(calls).toHaveBeenCalledTimes(1);
      expect(refused.status).toBe(401);
      expect(firstError(refused).extensions.code).toBe('UNAUTHENTICATED');
    });

    it('a compiled run with errors, timed from before the run', async () => {
      const query = `query Slow($id: ID!, $after: String) { product(id: $id) { reviews(first: 1, after: $after) { totalCount } } }`;
      for (let i = 0; i < 2; i++) await post(server, { query, variables: { id: productId } });
      // eslint-disable-next-line @typescript-eslint/unbound-method -- called with its `this` below
      const run = CompiledExecution.prototype.run;
      jest.spyOn(CompiledExecution.prototype, 'run').mockImplementation(async function (
        this: CompiledExecution,
        ...args: Parameters<typeof run>
      ) {
        await new Promise((resolve) => setTimeout(resolve, 300));
        return run.apply(this, args);
      });
      await post(server, { query, variables: { id: productId, after: 'nope' } });
      const seconds =
        /^graphql_operation_duration_seconds_sum\{operation="Slow",type="query",outcome="error"\} (\S+)$/m.exec(
          await metricsText(server),
        );
      expect(Number(seconds?.[1])).toBeGreaterThanOrEqual(0.3);
    });

    it('a compiled run with errors, reported once (not run again)', async () => {
      const query = `query Cursor($id: ID!, $after: String) { categories { id } product(id: $id) { reviews(first: 1, after: $after) { totalCount } } }`;
      for (let i = 0; i < 2; i++) await post(server, { query, variables: { id: productId } });
      const statementsBefore = await sqlStatementsOf(server, 'Cursor');
      const calls = apolloCalls(server);
      const failed = await post(server, { query, variables: { id: productId, after: 'nope' } });
      expect(calls).toHaveBeenCalledTimes(1);
      expect(failed.status).toBe(200);
      expect(failed.cacheControl).toBe('no-store');
      expect(JSON.parse(failed.body)).toMatchObject({
        data: { categories: [{ id: expect.any(String) }], product: null },
        errors: [{ path: ['product', 'reviews'], extensions: { code: 'BAD_USER_INPUT' } }],
      });
      // The categories and the product, read once each.
      expect((await sqlStatementsOf(server, 'Cursor')) - statementsBefore).toBe(2);
    });

    it('variables that do not fit, as graphql-js refuses them (400)', async () => {
      for (let i = 0; i < 2; i++)
        await post(server, { query: BY_ID, variables: { id: productId } });
      const calls = apolloCalls(server);
      const refused = await post(server, { query: BY_ID, variables: { id: { not: 'an id' } } });
      expect(calls).toHaveBeenCalledTimes(1);
      expect(refused.status).toBe(400);
      expect(firstError(refused).extensions.code).toBe('BAD_USER_INPUT');
    });

    it('an accept header Apollo refuses (406), and bodies Apollo refuses (400)', async () => {
      for (let i = 0; i < 2; i++)
        await post(server, { query: BY_ID, variables: { id: productId } });
      const calls = apolloCalls(server);
      const notAcceptable = await post(
        server,
        { query: BY_ID, variables: { id: productId } },
        { accept: 'text/html' },
      );
      expect(notAcceptable.status).toBe(406);
      for (const body of [
        { query: BY_ID, variables: '{"id":"1"}' },
        { query: BY_ID, variables: { id: productId }, operationName: 7 },
        { query: BY_ID, variables: { id: productId }, extensions: 'none' },
      ]) {
        expect((await post(server, body)).status).toBe(400);
      }
      expect(calls).toHaveBeenCalledTimes(4);
    });

    it('operation names that are no GraphQL names (they name no operation)', async () => {
      const query = '{ categories { id name } } # Split:tail';
      for (let i = 0; i < 3; i++) await post(server, { query });
      const calls = apolloCalls(server);
      for (const operationName of ['*', 'x:{ categories { id name } } # Split', '']) {
        const refused = await post(server, { query, operationName });
        expect(refused.status).toBe(400);
        expect(firstError(refused).extensions.code).toBe('OPERATION_RESOLUTION_FAILURE');
      }
      // The text after a `:` in a name is not looked up as a document either.
      const faked = await post(server, {
        query: 'tail',
        operationName: '*:{ categories { id name } } # Split',
      });
      expect(faked.status).toBe(400);
      expect(calls).toHaveBeenCalledTimes(4);
    });

    it('a hash for a text never registered as a persisted query (Apollo does not know it)', async () => {
      const query = 'query NeverPersisted { categories { id } }';
      for (let i = 0; i < 3; i++) await post(server, { query });
      const sha256Hash = createHash('sha256').update(query).digest('hex');
      const calls = apolloCalls(server);
      const unknown = await post(server, {
        operationName: 'NeverPersisted',
        extensions: { persistedQuery: { version: 1, sha256Hash } },
      });
      expect(calls).toHaveBeenCalledTimes(1);
      expect(firstError(unknown).extensions.code).toBe('PERSISTED_QUERY_NOT_FOUND');
    });

    it('a GET', async () => {
      const calls = apolloCalls(server);
      const search = new URLSearchParams({
        query: BY_ID,
        variables: JSON.stringify({ id: productId }),
      });
      for (let i = 0; i < 3; i++) {
        const response = await fetch(`${server.url}/graphql?${search}`, {
          headers: { 'apollo-require-preflight': 'true' },
        });
        expect(response.status).toBe(200);
      }
      expect(calls).toHaveBeenCalledTimes(3);
    });
  });
});

describe('the fast path in development', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({
      env: { NODE_ENV: 'development', GRAPHQL_COMPILE_AFTER: '2' },
    });
    await createProduct(server.orm, { category: await createCategory(server.orm) });
  });
  afterAll(() => server.close());

  it('shows the SQL budget in extensions, as Apollo does', async () => {
    const query = 'query Budget { categories { name productCount } }';
    const calls = apolloCalls(server);
    const answers = [];
    for (let i = 0; i < 3; i++) answers.push(JSON.parse((await post(server, { query })).body));
    expect(calls).toHaveBeenCalledTimes(2);
    for (const answer of answers) {
      expect(answer).toEqual({
        data: { categories: [{ name: expect.any(String), productCount: 1 }] },
        extensions: { sql: { statements: 2, durationMs: expect.any(Number) } },
      });
    }
    calls.mockRestore();
  });
});

interface Body {
  data?: { product?: { stock?: number } | null } | null;
  errors?: { extensions: Record<string, unknown> }[];
}

function firstError(answer: Answer) {
  return (JSON.parse(answer.body) as Body).errors![0]!;
}

function stockOf(answer: Answer) {
  return (JSON.parse(answer.body) as Body).data?.product?.stock;
}

describe('with Apollo usage reporting configured (APOLLO_KEY)', () => {
  let server: TestServer;
  beforeAll(async () => {
    // Apollo reads its key from process.env, which this leaves alone: nothing is reported.
    server = await startTestServer({
      env: { APOLLO_KEY: 'service:test:key', GRAPHQL_COMPILE_AFTER: '2' },
    });
  });
  afterAll(() => server.close());

  it('has no fast path: every operation goes through Apollo', async () => {
    const calls = apolloCalls(server);
    for (let i = 0; i < 4; i++) {
      expect((await post(server, { query: '{ categories { id } }' })).status).toBe(200);
    }
    expect(calls).toHaveBeenCalledTimes(4);
  });
});
