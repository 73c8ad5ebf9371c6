import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import Fastify from 'fastify';
import pino from 'pino';
import { startTestServer, type TestServer } from '../test/support/server';
import { graphqlPlugin } from './graphql/graphql.plugin';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ env: { CORS_ORIGINS: 'https://shop.example' } });
});
afterAll(() => server.close());

describe('buildApp', () => {
  // CORS answers a preflight in its own onRequest hook: the request id must be set before it.
  it('gives a CORS preflight answer its request id', async () => {
    const response = await fetch(`${server.url}/graphql`, {
      method: 'OPTIONS',
      headers: {
        origin: 'https://shop.example',
        'access-control-request-method': 'POST',
        'x-request-id': 'preflight-1',
      },
    });
    expect(response.headers.get('access-control-allow-origin')).toBe('https://shop.example');
    expect(response.headers.get('x-request-id')).toBe('preflight-1');
  });

  it('refuses the graphql plugin without the metrics plugin, naming it', async () => {
    const app = Fastify({ logger: false });
    const registered = app.register(graphqlPlugin, {
      orm: server.orm,
      config: server.config,
      logger: pino({ level: 'silent' }),
      readiness: { databaseReady: true, shuttingDown: false },
    });
    await expect(registered).rejects.toMatchObject({
      code: 'FST_ERR_PLUGIN_DEPENDENCY_NOT_REGISTERED',
      message: expect.stringContaining("'metrics'"),
    });
    await app.close();
  });
});
