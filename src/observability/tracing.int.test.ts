import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { SpanStatusCode, trace } from '@opentelemetry/api';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { createCategory, createProduct } from '../../test/support/factories';
import { startStreamingPair, type StreamingPair } from '../../test/support/replica';
import { startTestServer, type TestServer } from '../../test/support/server';

// One in-memory exporter for the test process: the server's tracer is the global one.
const exporter = new InMemorySpanExporter();
const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
trace.setGlobalTracerProvider(provider);

let traced: TestServer;
let untraced: TestServer;

beforeAll(async () => {
  traced = await startTestServer({ env: { TRACING: 'otlp' } });
  untraced = await startTestServer();
  const category = await createCategory(traced.orm);
  await createProduct(traced.orm, { category });
});
afterAll(async () => {
  await traced?.close();
  await untraced?.close();
  await provider.shutdown();
});

const spansOf = (requestId: string) =>
  exporter.getFinishedSpans().filter((s) => s.attributes['catalog.request_id'] === requestId);

describe('operation spans', () => {
  it('names the span as OTel says, with the operation, request id and target', async () => {
    // Run more than GRAPHQL_COMPILE_AFTER times: the later runs take the compiled path.
    for (let run = 0; run < 4; run += 1) {
      const requestId = `trace-ok-${run}`;
      const response = await traced.gql(
        'query TracedProducts { products(first: 2) { totalCount } }',
        {},
        { headers: { 'x-request-id': requestId } },
      );
      expect(response.errors).toBeUndefined();
      const spans = spansOf(requestId);
      expect(spans).toHaveLength(1);
      expect(spans[0]!.name).toBe('query TracedProducts');
      expect(spans[0]!.attributes).toMatchObject({
        'graphql.operation.type': 'query',
        'graphql.operation.name': 'TracedProducts',
        'catalog.db.target': 'primary',
        'catalog.db.target_by_token': false,
      });
    }
  });

  it('records the error codes of a refused operation', async () => {
    await traced.gql(
      'query TracedFailure { products(first: 1000) { totalCount } }',
      {},
      { headers: { 'x-request-id': 'trace-err' } },
    );
    const spans = spansOf('trace-err');
    expect(spans).toHaveLength(1);
    expect(spans[0]!.attributes['catalog.graphql.error_codes']).toEqual(['BAD_USER_INPUT']);
    expect(spans[0]!.status.code).toBe(SpanStatusCode.ERROR);
  });

  it('never exports a client-written literal (a search string inlined into SQL)', async () => {
    const secret = 'secret-search-8f3a';
    const response = await traced.gql(
      `query TracedSearch { products(first: 2, search: "${secret}") { totalCount } }`,
      {},
      { headers: { 'x-request-id': 'trace-secret' } },
    );
    expect(response.errors).toBeUndefined();
    expect(spansOf('trace-secret')).toHaveLength(1);
    const exported = exporter.getFinishedSpans().map((s) => [s.name, s.attributes, s.events]);
    expect(JSON.stringify(exported)).not.toContain(secret);
  });

  it('exports nothing when tracing is off', async () => {
    await untraced.gql(
      'query Untraced { products(first: 1) { totalCount } }',
      {},
      {
        headers: { 'x-request-id': 'trace-off' },
      },
    );
    expect(spansOf('trace-off')).toHaveLength(0);
  });
});

describe('operation spans with a replica', () => {
  let pair: StreamingPair;
  let server: TestServer;

  beforeAll(async () => {
    pair = await startStreamingPair();
    server = await startTestServer({
      database: { url: pair.primaryUrl },
      env: { TRACING: 'otlp', DATABASE_REPLICA_URLS: pair.replicaUrl },
    });
  });
  afterAll(async () => {
    await server?.close();
    await pair?.stop();
  });

  it('name the target that ran the operation, and whether a consistency token sent it there', async () => {
    const admin = await server.token({ sub: 'admin', roles: ['admin'] });
    const created = await server.gql<{ createCategory: { id: string } }>(
      'mutation TracedWrite { createCategory(input: { name: "Traced", slug: "traced" }) { id } }',
      {},
      { token: admin, headers: { 'x-request-id': 'trace-write' } },
    );
    expect(created.errors).toBeUndefined();
    const { extensions } = created as { extensions?: { consistency?: { token?: string } } };
    const token = extensions?.consistency?.token as string;
    expect(token).toEqual(expect.any(String));
    await pair.caughtUp();
    await server.gql(
      'query TracedRead { categories { id } }',
      {},
      {
        headers: { 'x-request-id': 'trace-read' },
      },
    );
    await server.gql(
      'query TracedReadYourWrite { categories { id } }',
      {},
      {
        headers: { 'x-request-id': 'trace-token', 'x-consistency-token': token },
      },
    );

    const target = (id: string) => {
      const [span] = spansOf(id);
      return [
        span?.attributes['catalog.db.target'],
        span?.attributes['catalog.db.target_by_token'],
      ];
    };
    expect(target('trace-write')).toEqual(['primary', false]);
    expect(target('trace-read')).toEqual(['replica1', false]);
    expect(target('trace-token')).toEqual(['replica1', true]);
  });
});
