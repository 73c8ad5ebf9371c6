import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createCategory, createProduct } from '../../test/support/factories';
import { startTestServer, type TestServer } from '../../test/support/server';

let server: TestServer;
const logLines: string[] = [];
const logged = () => logLines.map((line) => JSON.parse(line) as Record<string, unknown>);

beforeAll(async () => {
  server = await startTestServer({ logLines });
  const category = await createCategory(server.orm);
  await createProduct(server.orm, { category });
});
afterAll(() => server.close());

describe('request logs', () => {
  it('writes one line per request with its id, operation, status, duration and error codes', async () => {
    const token = await server.token({ sub: 'logger-test' });
    const response = await fetch(`${server.url}/graphql`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-request-id': 'req-abc-123',
        authorization: `Bearer ${token}`,
      },
      body: JSON.stringify({
        query: 'query ProductsForLog { products(first: 1000) { totalCount } }',
      }),
    });
    expect(response.headers.get('x-request-id')).toBe('req-abc-123');
    const lines = logged().filter((l) => l.reqId === 'req-abc-123');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      msg: 'request completed',
      method: 'POST',
      route: '/graphql',
      status: 200,
      operation: 'ProductsForLog',
      operationType: 'query',
      errors: ['BAD_USER_INPUT'],
      durationMs: expect.any(Number),
    });
    expect(logLines.join('\n')).not.toContain(token);
  });

  it('gives each request an id of its own when the caller sends none', async () => {
    const a = await fetch(`${server.url}/health/live`);
    const b = await fetch(`${server.url}/health/live`);
    expect(a.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    expect(a.headers.get('x-request-id')).not.toBe(b.headers.get('x-request-id'));
  });

  it('logs a masked error in full, with the request id, for whoever investigates', async () => {
    await server.sql('alter table review rename to review_hidden');
    try {
      const response = await fetch(`${server.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-request-id': 'req-broken' },
        body: JSON.stringify({
          query:
            '{ products(first: 1) { edges { node { reviews { totalCount edges { node { id } } } } } } }',
        }),
      });
      expect(
        ((await response.json()) as { errors: { extensions: { code: string } }[] }).errors[0]
          ?.extensions.code,
      ).toBe('INTERNAL_SERVER_ERROR');
    } finally {
      await server.sql('alter table review_hidden rename to review');
    }
    const failure = logged().find(
      (l) => l.reqId === 'req-broken' && l.msg === 'GraphQL operation failed',
    );
    expect((failure?.err as { message?: string } | undefined)?.message).toMatch(
      /relation "review" does not exist/,
    );
  });
});

describe('GET /metrics', () => {
  it('exposes request, operation, error, pool, SQL and process metrics', async () => {
    await server.gql('query Scraped { categories { id productCount } }');
    await server.gql('{ products(first: -1) { totalCount } }');
    const response = await fetch(`${server.url}/metrics`);
    expect(response.headers.get('content-type')).toMatch(/text\/plain/);
    const text = await response.text();
    expect(text).toMatch(
      /http_request_duration_seconds_count\{method="POST",route="\/graphql",status="200"\} \d+/,
    );
    expect(text).toMatch(
      /graphql_operation_duration_seconds_count\{operation="Scraped",type="query",outcome="ok"\} 1/,
    );
    expect(text).toMatch(/graphql_errors_total\{code="BAD_USER_INPUT"\} [1-9]/);
    expect(text).toMatch(/db_pool_connections\{state="used"\} 0/);
    expect(text).toMatch(/db_pool_connections\{state="idle"\} \d+/);
    expect(text).toMatch(/db_pool_connections\{state="pending_acquire"\} 0/);
    expect(text).toMatch(/db_statement_duration_seconds_count\{outcome="ok"\} [1-9]/);
    expect(text).toMatch(/process_resident_memory_bytes \d+/);
  });
});

describe('METRICS_PORT', () => {
  it('moves /metrics to a listener of its own, off the API address', async () => {
    const separate = await startTestServer({ env: { METRICS_PORT: '0' } });
    try {
      const metricsUrl = await separate.app.metricsHttp!.listen({ host: '127.0.0.1', port: 0 });
      await separate.gql('query Counted { categories { id } }');
      expect((await fetch(`${separate.url}/metrics`)).status).toBe(404);
      const text = await (await fetch(`${metricsUrl}/metrics`)).text();
      expect(text).toMatch(
        /graphql_operation_duration_seconds_count\{operation="Counted",type="query",outcome="ok"\} 1/,
      );
      expect((await fetch(`${metricsUrl}/graphql`)).status).toBe(404); // and nothing else there
    } finally {
      await separate.close();
    }
  });
});
