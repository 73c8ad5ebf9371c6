import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  buildClientSchema,
  getIntrospectionQuery,
  lexicographicSortSchema,
  printSchema,
  type IntrospectionQuery,
} from 'graphql';
import { auditServer } from 'graphql-http';
import { readFileSync } from 'node:fs';
import { SCHEMA_FILE } from '../graphql/schema';
import { startTestServer, type TestServer } from '../../test/support/server';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({
    env: { NODE_ENV: 'development', CORS_ORIGINS: 'https://shop.example' },
  });
});
afterAll(() => server.close());

describe('introspection', () => {
  it('returns exactly the committed schema/schema.graphql', async () => {
    const response = await server.gql<IntrospectionQuery>(
      getIntrospectionQuery({
        descriptions: true,
        specifiedByUrl: true,
        inputValueDeprecation: true,
      }),
    );
    expect(response.errors).toBeUndefined();
    const live = printSchema(lexicographicSortSchema(buildClientSchema(response.data!)));
    expect(`${live}\n`).toBe(readFileSync(SCHEMA_FILE, 'utf8'));
  });
});

describe('GraphQL over HTTP', () => {
  it('passes the graphql-http audit with no error', async () => {
    const results = await auditServer({ url: `${server.url}/graphql` });
    const errors = results
      .filter((r) => r.status === 'error')
      .map((r) => `${r.id} ${r.name}: ${'reason' in r ? r.reason : ''}`);
    expect(errors).toEqual([]);
    // Warnings are listed (and explained) in docs/architecture.md, "GraphQL over HTTP"; this keeps the list honest.
    const warnings = results.filter((r) => r.status === 'warn').map((r) => r.name);
    expect(warnings).toMatchSnapshot();
  });

  it('answers queries over GET, with a cache policy', async () => {
    const response = await fetch(
      `${server.url}/graphql?query=${encodeURIComponent('{ categories { id } }')}`,
      { headers: { 'apollo-require-preflight': 'true' } },
    );
    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toBe('max-age=5, public');
    const signedIn = await fetch(
      `${server.url}/graphql?query=${encodeURIComponent('{ categories { id } }')}`,
      {
        headers: {
          'apollo-require-preflight': 'true',
          authorization: `Bearer ${await server.token({ sub: 'u' })}`,
        },
      },
    );
    expect(signedIn.headers.get('cache-control')).toBe('max-age=5, private');
  });

  it('never lets a mutation response be cached', async () => {
    const token = await server.token({ sub: 'root', roles: ['admin'] });
    const response = await fetch(`${server.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({
        query: 'mutation { createCategory(input: { slug: "cached-not", name: "X" }) { id } }',
      }),
    });
    expect(response.headers.get('cache-control')).toBe('no-store');
  });

  it('refuses mutations over GET', async () => {
    const response = await fetch(
      `${server.url}/graphql?query=${encodeURIComponent('mutation { deleteProduct(id: "1") }')}`,
      { headers: { 'apollo-require-preflight': 'true' } },
    );
    expect(response.status).toBe(405);
  });

  it('refuses a GET a browser could send cross-site (CSRF prevention)', async () => {
    const response = await fetch(
      `${server.url}/graphql?query=${encodeURIComponent('{ categories { id } }')}`,
    );
    expect(response.status).toBe(400);
    expect(await response.text()).toMatch(/CSRF/i);
  });

  it('allows the configured origins only (CORS)', async () => {
    const preflight = (origin: string) =>
      fetch(`${server.url}/graphql`, {
        method: 'OPTIONS',
        headers: {
          origin,
          'access-control-request-method': 'POST',
          'access-control-request-headers': 'content-type,authorization',
        },
      });
    const allowed = await preflight('https://shop.example');
    expect(allowed.headers.get('access-control-allow-origin')).toBe('https://shop.example');
    expect(allowed.headers.get('access-control-allow-headers')).toMatch(/authorization/);
    expect(allowed.headers.get('access-control-allow-headers')).toMatch(/x-consistency-token/);
    const other = await preflight('https://evil.example');
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
  });
});
