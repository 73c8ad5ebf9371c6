import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createServer, type Server } from 'node:http';
import { freePort } from '../../test/global-setup';
import { createTestDatabase, type TestDatabase } from '../../test/support/database';
import { startMain, waitUntilReady, type Started } from '../../test/support/process';

// A collector that accepts OTLP/HTTP and keeps the bodies (JSON or protobuf: the name is in both).
let collector: Server;
let collectorUrl: string;
const bodies: Buffer[] = [];
let database: TestDatabase;
let started: Started | undefined;

beforeAll(async () => {
  database = await createTestDatabase();
  collector = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      bodies.push(Buffer.concat(chunks));
      response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => collector.listen(0, '127.0.0.1', resolve));
  const address = collector.address();
  if (!address || typeof address === 'string') throw new Error('collector has no port');
  collectorUrl = `http://127.0.0.1:${address.port}/v1/traces`;
});
afterAll(async () => {
  if (started?.child.exitCode === null) started.child.kill('SIGKILL');
  await new Promise((resolve) => collector?.close(resolve));
  await database?.drop();
});

describe('TRACING=otlp in the real process', () => {
  it('exports the operation span, flushed on SIGTERM after the drain', async () => {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    started = startMain({
      DATABASE_URL: database.url,
      PORT: String(port),
      HOST: '127.0.0.1',
      SEED_DEMO: 'false',
      TRACING: 'otlp',
      OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: collectorUrl,
      OTEL_SERVICE_NAME: 'catalog-under-test',
    });
    await waitUntilReady(url, started);
    const response = await fetch(`${url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        query: 'query ExportedOperation { products(first: 1) { totalCount } }',
      }),
    });
    expect(response.status).toBe(200);
    // The batch processor waits up to 5 s: only the shutdown's flush sends it this soon.
    started.child.kill('SIGTERM');
    expect(await started.exited).toBe(0);
    const exported = Buffer.concat(bodies).toString('latin1');
    expect(exported).toContain('query ExportedOperation');
    expect(exported).toContain('catalog-under-test');
  });
});
