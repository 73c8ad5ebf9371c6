import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { SpanKind } from '@opentelemetry/api';
import { InMemorySpanExporter, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { createCategory, createProduct } from '../../../test/support/factories';
import {
  startReplicatedServer,
  type ReplicatedServer,
  type StreamingPair,
} from '../../../test/support/replica';
import { countStatements } from '../../../test/support/sql-counter';
import { startTestServer, type TestServer } from '../../../test/support/server';
import { createTracing } from './tracing';

/**
 * Tracing against the real server and PostgreSQL, with the SDK's in-memory exporter. The
 * default GRAPHQL_COMPILE_AFTER (2) makes a document's first run graphql-js through Apollo, its
 * second compiled through Apollo, its third the route's fast path: all three must trace alike.
 */

const PAGE = `query ProductPage($first: Int!) {
  products(first: $first) {
    edges { node { id name category { id name } reviews(first: 2) { edges { node { id } } } } }
  }
}`;

function operationSpans(exporter: InMemorySpanExporter): ReadableSpan[] {
  return exporter.getFinishedSpans().filter((s) => s.kind === SpanKind.SERVER);
}

function childrenOf(exporter: InMemorySpanExporter, parent: ReadableSpan): ReadableSpan[] {
  return exporter
    .getFinishedSpans()
    .filter((s) => s.parentSpanContext?.spanId === parent.spanContext().spanId);
}

describe('tracing on', () => {
  const exporter = new InMemorySpanExporter();
  let server: TestServer;

  beforeAll(async () => {
    server = await startTestServer({
      env: { GRAPHQL_COMPILE_AFTER: '2' },
      tracing: createTracing({ serviceName: 'test', exporter }),
    });
    const category = await createCategory(server.orm, { name: 'Tools' });
    for (let i = 0; i < 3; i++) await createProduct(server.orm, { category });
  });
  afterAll(async () => server?.close());
  beforeEach(() => exporter.reset());

  it('one operation span per request on both paths, with a SQL child per statement', async () => {
    const counter = countStatements(server.orm);
    try {
      for (let run = 0; run < 3; run++) {
        counter.reset();
        exporter.reset();
        const response = await server.gql(
          PAGE,
          { first: 3 },
          { headers: { 'x-request-id': `r${run}` } },
        );
        expect(response.errors).toBeUndefined();
        const [operation, ...others] = operationSpans(exporter);
        expect(others).toHaveLength(0);
        expect(operation!.name).toBe('query ProductPage');
        expect(operation!.attributes).toMatchObject({
          'graphql.operation.name': 'ProductPage',
          'graphql.operation.type': 'query',
          'request.id': `r${run}`,
        });
        const children = childrenOf(exporter, operation!);
        // The page and the reviews loader's batch (a DataLoader tick later) both under the operation.
        expect(children.length).toBeGreaterThanOrEqual(2);
        expect(children).toHaveLength(counter.statements.length);
        for (const child of children) {
          expect(child.kind).toBe(SpanKind.CLIENT);
          expect(child.attributes).toMatchObject({
            'db.system.name': 'postgresql',
            'db.operation.name': 'SELECT',
            'db.target': 'primary',
            'db.target.by_token': false,
          });
          expect(child.spanContext().traceId).toBe(operation!.spanContext().traceId);
        }
      }
    } finally {
      counter.stop();
    }
  });

  it('joins the caller trace from an incoming traceparent', async () => {
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    const parentId = '00f067aa0ba902b7';
    await server.gql(
      PAGE,
      { first: 1 },
      { headers: { traceparent: `00-${traceId}-${parentId}-01` } },
    );
    const [operation] = operationSpans(exporter);
    expect(operation!.spanContext().traceId).toBe(traceId);
    expect(operation!.parentSpanContext?.spanId).toBe(parentId);
  });

  it('records the error codes of a failed operation', async () => {
    const response = await server.gql(`query Broken { product(id: "not-an-id") { id } }`);
    expect(response.errors).toBeDefined();
    const [operation] = operationSpans(exporter);
    expect(operation!.name).toBe('query Broken');
    expect(operation!.status.code).toBe(2);
    expect(operation!.attributes['graphql.error.codes']).toEqual(
      expect.arrayContaining([expect.any(String)]),
    );
  });

  it('never exports a client-written literal or bind value', async () => {
    const secret = 'zebrasecret7781';
    for (let run = 0; run < 3; run++) {
      await server.gql(`query S($s: String) { products(first: 2, search: $s) { totalCount } }`, {
        s: secret,
      });
      await server.gql(`query L { products(first: 2, search: "${secret}") { totalCount } }`);
    }
    const exported = JSON.stringify(
      exporter.getFinishedSpans().map((s) => ({
        name: s.name,
        attributes: s.attributes,
        events: s.events,
        status: s.status,
      })),
    );
    expect(exporter.getFinishedSpans().length).toBeGreaterThan(6);
    expect(exported).not.toContain(secret);
  });
});

describe('tracing off', () => {
  const servers: TestServer[] = [];
  afterAll(async () => {
    for (const server of servers) await server.close();
  });

  it('adds no statement hook and exports nothing', async () => {
    const exporter = new InMemorySpanExporter();
    // Made but not given to the server: the server alone decides, and off means untouched.
    createTracing({ serviceName: 'test', exporter });
    const off = await startTestServer();
    servers.push(off);
    const on = await startTestServer({
      tracing: createTracing({ serviceName: 'on', exporter: new InMemorySpanExporter() }),
    });
    servers.push(on);
    const listeners = (server: TestServer) =>
      server.orm.em.getConnection().getKnex().listenerCount('query');
    expect(listeners(on) - listeners(off)).toBe(1);
    for (let run = 0; run < 3; run++) {
      expect((await off.gql(PAGE, { first: 1 })).errors).toBeUndefined();
    }
    expect(exporter.getFinishedSpans()).toHaveLength(0);
  });
});

describe('tracing with a replica', () => {
  const exporter = new InMemorySpanExporter();
  let pair: StreamingPair;
  let server: TestServer;
  let replicated: ReplicatedServer | undefined;

  beforeAll(async () => {
    replicated = await startReplicatedServer({
      tracing: createTracing({ serviceName: 'test', exporter }),
    });
    ({ pair, server } = replicated);
  });
  afterAll(async () => {
    await replicated?.close();
  });

  it('names the target that ran each statement, and whether a consistency token sent it there', async () => {
    const admin = await server.token({ sub: 'admin', roles: ['admin'] });
    const created = await server.gql(
      'mutation TracedWrite { createCategory(input: { name: "Traced", slug: "traced" }) { id } }',
      {},
      { token: admin },
    );
    expect(created.errors).toBeUndefined();
    const { extensions } = created as { extensions?: { consistency?: { token?: string } } };
    const token = extensions?.consistency?.token as string;
    expect(token).toEqual(expect.any(String));
    await pair.caughtUp();
    await server.gql('query TracedRead { categories { id } }');
    await server.gql(
      'query TracedReadYourWrite { categories { id } }',
      {},
      {
        headers: { 'x-consistency-token': token },
      },
    );

    // Each operation's SQL children: [target, by token] of every statement it ran.
    const targetsOf = (name: string) => {
      const operation = operationSpans(exporter).find((s) => s.name === name)!;
      return [
        ...new Set(
          childrenOf(exporter, operation).map((s) =>
            JSON.stringify([s.attributes['db.target'], s.attributes['db.target.by_token']]),
          ),
        ),
      ];
    };
    expect(targetsOf('mutation TracedWrite')).toEqual([JSON.stringify(['primary', false])]);
    expect(targetsOf('query TracedRead')).toEqual([JSON.stringify(['replica1', false])]);
    expect(targetsOf('query TracedReadYourWrite')).toEqual([JSON.stringify(['replica1', true])]);
  });
});
