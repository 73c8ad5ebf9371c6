import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startTestServer, type TestServer } from '../../test/support/server';
import { EXAMPLE_QUERY } from './playground';

describe('GraphQL Playground (on outside production)', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ env: { NODE_ENV: 'development' } });
  });
  afterAll(() => server.close());

  it.each(['/playground', '/graphql'])('is what a browser gets at %s', async (path) => {
    const response = await fetch(`${server.url}${path}`, { headers: { accept: 'text/html' } });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/text\/html/);
    const html = await response.text();
    expect(html).toContain('GraphQLPlayground.init');
    expect(html).toContain('"endpoint":"/graphql"');
    expect(html).toContain(JSON.stringify(EXAMPLE_QUERY).slice(1, 40));
  });

  it('links only assets this server serves: no CDN, no web fonts', async () => {
    const html = await (await fetch(`${server.url}/playground`)).text();
    expect(html).not.toMatch(/https?:\/\//);
    const assets = [...html.matchAll(/(?:href|src)="([^"]+)"/g)].map((m) => m[1]!);
    expect(assets.length).toBeGreaterThanOrEqual(3);
    for (const asset of assets) {
      const response = await fetch(`${server.url}${asset}`);
      expect([asset, response.status]).toEqual([asset, 200]);
      expect((await response.arrayBuffer()).byteLength).toBeGreaterThan(0);
    }
  });

  it('serves nothing else from the package folder', async () => {
    const response = await fetch(`${server.url}/playground/assets/index.html`);
    expect(response.status).toBe(404);
    await response.arrayBuffer();
  });

  it('still answers GraphQL GET requests at /graphql', async () => {
    const response = await fetch(
      `${server.url}/graphql?query=${encodeURIComponent('{ categories { id } }')}`,
      {
        headers: { accept: 'application/json', 'apollo-require-preflight': 'true' },
      },
    );
    expect(response.status).toBe(200);
    expect(((await response.json()) as { data: unknown }).data).toEqual({ categories: [] });
  });
});

describe('GraphQL Playground in production', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ env: { NODE_ENV: 'production', JWT_SECRET: 'p'.repeat(40) } });
  });
  afterAll(() => server.close());

  it('is off, and so is introspection, unless configured', async () => {
    const playground = await fetch(`${server.url}/playground`);
    expect(playground.status).toBe(404);
    await playground.arrayBuffer();
    const page = await fetch(`${server.url}/graphql`, { headers: { accept: 'text/html' } });
    expect(await page.text()).not.toContain('GraphQLPlayground');
    const introspection = await server.gql('{ __schema { queryType { name } } }');
    expect(introspection.errors?.[0]?.extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
  });
});

describe('GraphQL Playground when configured on in production', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({
      env: {
        NODE_ENV: 'production',
        JWT_SECRET: 'p'.repeat(40),
        GRAPHQL_PLAYGROUND: 'true',
        GRAPHQL_INTROSPECTION: 'true',
      },
    });
  });
  afterAll(() => server.close());

  it('is served', async () => {
    const playground = await fetch(`${server.url}/playground`);
    expect(playground.status).toBe(200);
    await playground.arrayBuffer();
    expect((await server.gql('{ __schema { queryType { name } } }')).errors).toBeUndefined();
  });
});
