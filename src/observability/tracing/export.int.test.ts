import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { createServer, type Server } from 'node:http';
import { freePort } from '../../../test/global-setup';
import { createTestDatabase, type TestDatabase } from '../../../test/support/database';
import { startMain, waitUntilReady, type Started } from '../../../test/support/process';

/**
 * `npm start`'s process with OTEL_EXPORTER_OTLP_ENDPOINT set, against a tiny local collector:
 * the batched spans reach it by the time a SIGTERM has stopped the server (the flush).
 */

let database: TestDatabase;
let started: Started | undefined;
let collector: Server | undefined;
const received: { path: string; body: string }[] = [];

beforeAll(async () => {
  database = await createTestDatabase();
  collector = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString()));
    request.on('end', () => {
      received.push({ path: request.url ?? '', body });
      response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => collector!.listen(0, '127.0.0.1', resolve));
});
afterAll(async () => {
  if (started?.child.exitCode === null) started.child.kill('SIGKILL');
  await new Promise((resolve) => collector?.close(resolve));
  await database?.drop();
});

it('exports the operation span over OTLP/HTTP and flushes it on shutdown', async () => {
  const address = collector!.address();
  const collectorPort = typeof address === 'object' && address ? address.port : 0;
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  started = startMain({
    DATABASE_URL: database.url,
    PORT: String(port),
    HOST: '127.0.0.1',
    SEED_DEMO: 'false',
    OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${collectorPort}`,
    OTEL_SERVICE_NAME: 'catalog-under-test',
  });
  await waitUntilReady(url, started);
  const response = await fetch(`${url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query: 'query Exported { products(first: 1) { totalCount } }' }),
  });
  expect(response.status).toBe(200);
  started.child.kill('SIGTERM');
  expect(await started.exited).toBe(0);
  const traces = received.filter((r) => r.path === '/v1/traces').map((r) => r.body);
  expect(traces.join('\n')).toContain('query Exported');
  expect(traces.join('\n')).toContain('catalog-under-test');
}, 120_000);
