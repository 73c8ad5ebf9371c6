import type { TestServer } from './server';

/** An answer as a client sees it: status, the headers that matter, the body's bytes. */
export interface RawAnswer {
  status: number;
  contentType: string | null;
  cacheControl: string | null;
  body: string;
}

/** POSTs a document (JSON) and keeps the answer's bytes, for byte-for-byte comparisons. */
export async function postRaw(
  server: Pick<TestServer, 'url'>,
  query: string,
  variables?: object,
): Promise<RawAnswer> {
  const response = await fetch(`${server.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query, variables }),
  });
  return {
    status: response.status,
    contentType: response.headers.get('content-type'),
    cacheControl: response.headers.get('cache-control'),
    body: await response.text(),
  };
}
