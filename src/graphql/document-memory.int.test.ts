import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createHash } from 'node:crypto';
import { cacheBytesOf } from '../../test/support/metrics';
import { startTestServer, type TestServer } from '../../test/support/server';

/**
 * What the server keeps of clients' documents is bounded in bytes, whatever they send: a
 * document over GRAPHQL_MAX_DOCUMENT_BYTES is refused before it is parsed, and the caches of
 * parsed, compiled and persisted documents stay within their budgets.
 */

const MB = 1024 * 1024;
let server: TestServer;

beforeAll(async () => {
  server = await startTestServer({
    env: {
      GRAPHQL_MAX_DOCUMENT_BYTES: '8192',
      GRAPHQL_DOCUMENT_CACHE_MB: '1',
      GRAPHQL_COMPILED_CACHE_MB: '1',
      APQ_CACHE_MB: '1',
      GRAPHQL_COMPILE_AFTER: '1',
    },
  });
});
afterAll(() => server.close());

async function post(body: unknown) {
  const response = await fetch(`${server.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return {
    status: response.status,
    headers: response.headers,
    body: (await response.json()) as unknown,
  };
}

/** A valid document of about `bytes`, mostly a comment: it costs a handful of tokens. */
const padded = (bytes: number, tag: number | string = 0, filler = 'x') =>
  `# ${filler.repeat(Math.ceil(bytes / Buffer.byteLength(filler)))}\nquery Padded${tag} { categories { id } }`;

describe('document size', () => {
  it('refuses a document over the limit before parsing it, however few tokens it has', async () => {
    const before = await cacheBytesOf(server, 'documents');
    const response = await post({ query: padded(9000) });
    expect(response.status).toBe(413);
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(response.body).toEqual({
      errors: [
        {
          message: 'The GraphQL document is larger than this server accepts (8192 bytes)',
          extensions: { code: 'DOCUMENT_TOO_LARGE', maximumBytes: 8192 },
        },
      ],
    });
    expect(await cacheBytesOf(server, 'documents')).toBe(before); // never parsed
  });

  it('counts UTF-8 bytes, not characters', async () => {
    // 3,000 characters of three bytes each: 9,000 bytes.
    const query = padded(9000, 'Utf8', '€');
    expect(query.length).toBeLessThan(8192);
    expect((await post({ query })).status).toBe(413);
  });

  it('refuses it over GET and while registering a persisted query too', async () => {
    const query = padded(9000, 'Get');
    const params = new URLSearchParams({ query });
    const get = await fetch(`${server.url}/graphql?${params.toString()}`, {
      headers: { 'apollo-require-preflight': 'true' },
    });
    expect(get.status).toBe(413);

    const sha256Hash = createHash('sha256').update(query).digest('hex');
    const registering = await post({
      query,
      extensions: { persistedQuery: { version: 1, sha256Hash } },
    });
    expect(registering.status).toBe(413);
  });

  it('answers a document just under the limit', async () => {
    const response = await post({ query: padded(7000, 'Under') });
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ data: { categories: expect.any(Array) } });
  });
});

describe('document caches', () => {
  it('stay within their budgets in bytes under many distinct documents, and keep answering', async () => {
    // 200 distinct documents of ~7 KB, each sent twice (the second run compiles and registers
    // it as a persisted query): far more than 1 MB of source alone.
    for (let i = 0; i < 200; i++) {
      const query = padded(7000, i);
      const sha256Hash = createHash('sha256').update(query).digest('hex');
      const persistedQuery = { version: 1, sha256Hash };
      const first = await post({ query, extensions: { persistedQuery } });
      const second = await post({ extensions: { persistedQuery } });
      expect([first.status, second.status]).toEqual([200, 200]);
    }
    const documents = await cacheBytesOf(server, 'documents');
    const compiled = await cacheBytesOf(server, 'compiled');
    const persisted = await cacheBytesOf(server, 'persisted_queries');
    for (const bytes of [documents, compiled, persisted]) {
      expect(bytes).toBeGreaterThan(MB / 2); // filled up: the sizes are not too small to count
      expect(bytes).toBeLessThanOrEqual(MB);
    }
    // Evicted documents are parsed again when they come back.
    const again = await post({ query: padded(7000, 0) });
    expect(again.status).toBe(200);
  });
});
