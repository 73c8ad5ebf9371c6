import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createHash } from 'node:crypto';
import net from 'node:net';
import { startTestServer, type TestServer } from '../../test/support/server';

let server: TestServer;
const logLines: string[] = [];
beforeAll(async () => {
  server = await startTestServer({
    logLines,
    env: {
      // Short bounds, so the slow clients below are cut off within the test's time.
      HTTP_REQUEST_TIMEOUT_MS: '1500',
      HTTP_HEADERS_TIMEOUT_MS: '1000',
      HTTP_BODY_LIMIT: '65536',
      HTTP_LINGER_BYTES: '4194304',
      HTTP_LINGER_MS: '1500',
    },
  });
});
afterAll(() => server.close());

const QUERY = '{ categories { id } }';
const post = (body: string, headers: Record<string, string> = {}) =>
  fetch(`${server.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body,
  });
const deepArray = (depth: number) => `${'['.repeat(depth)}1${']'.repeat(depth)}`;
const deepObject = (depth: number) => `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
const errorLines = () =>
  logLines.map((l) => JSON.parse(l) as { level: number; msg: string }).filter((l) => l.level >= 50);

/** Sends `chunks` over a raw socket (a pause of `gapMs` between them); resolves with all it read. */
function rawExchange(
  chunks: (string | Buffer)[],
  { gapMs = 0, waitMs = 10_000 } = {},
): Promise<{ text: string; ms: number; error?: string }> {
  const { port } = new URL(server.url);
  const started = Date.now();
  return new Promise((resolve) => {
    // Half-open allowed: like an HTTP client, it goes on sending after the server's FIN.
    const socket = net.connect({ port: Number(port), host: '127.0.0.1', allowHalfOpen: true });
    let received = '';
    let timer: NodeJS.Timeout | undefined;
    let error: string | undefined;
    const finish = () => {
      clearTimeout(timer);
      clearTimeout(giveUp);
      socket.destroy();
      resolve({ text: received, ms: Date.now() - started, error });
    };
    const giveUp = setTimeout(finish, waitMs);
    socket.on('data', (data) => (received += data.toString('latin1')));
    socket.on('close', finish);
    socket.on('error', (e: Error & { code?: string }) => (error ??= e.code ?? e.message));
    // Once all is sent and the server has finished its answer, the client closes, as fetch does.
    let sent = false;
    let answered = false;
    socket.on('end', () => {
      answered = true;
      if (sent) socket.end();
    });
    const next = (i: number) => {
      if (socket.destroyed) return;
      if (i >= chunks.length) {
        sent = true;
        if (answered) socket.end();
        return;
      }
      socket.write(chunks[i]!, () => (timer = setTimeout(() => next(i + 1), gapMs)));
    };
    socket.on('connect', () => next(0));
  });
}
const statusOf = (text: string) => Number(/^HTTP\/1\.[01] (\d{3})/.exec(text)?.[1]);
const bodyOf = (text: string) => text.slice(text.indexOf('\r\n\r\n') + 4);

describe('variables nested thousands deep', () => {
  const cases = [
    ['arrays', deepArray(5000)],
    ['objects', deepObject(5000)],
  ] as const;
  for (const [kind, deep] of cases) {
    it(`refuses ${kind} with 400 on Apollo's path and on the fast path`, async () => {
      logLines.length = 0;
      // The document unseen (Apollo's), then compiled (the fast path's).
      const query = `{ categories { id slug } } # deep ${kind}`;
      const first = await post(`{"query":${JSON.stringify(query)},"variables":{"a":${deep}}}`);
      for (let i = 0; i < 3; i++) expect((await server.gql(query)).errors).toBeUndefined();
      const compiled = await post(`{"query":${JSON.stringify(query)},"variables":{"a":${deep}}}`);
      for (const response of [first, compiled]) {
        expect(response.status).toBe(400);
        expect(response.headers.get('cache-control')).toBe('no-store');
        expect(await response.json()).toEqual({
          errors: [
            {
              message: expect.stringMatching(/nests arrays and objects deeper than 64 levels/),
              extensions: { code: 'BAD_REQUEST' },
            },
          ],
        });
      }
      expect(errorLines()).toEqual([]); // a client's mistake, not the server's
    });
  }

  it('refuses them over GET too', async () => {
    const response = await fetch(
      `${server.url}/graphql?query=${encodeURIComponent(QUERY)}&variables=${encodeURIComponent(
        `{"a":${deepArray(2000)}}`,
      )}`,
      { headers: { 'apollo-require-preflight': 'true' } },
    );
    expect(response.status).toBe(400);
    expect(await response.text()).toMatch(/deeper than 64 levels.*BAD_REQUEST/);
  });

  it('still takes a body nested exactly to the limit (64), and brackets inside strings', async () => {
    const response = await post(
      `{"query":${JSON.stringify(QUERY)},"variables":{"a":${deepArray(62)},"s":"${'['.repeat(5000)}"}}`,
    );
    expect(response.status).toBe(200);
  });
});

describe('automatic persisted queries the client got wrong', () => {
  it('answers a hash that does not match its query with 400 BAD_REQUEST, logged below error', async () => {
    logLines.length = 0;
    const response = await post(
      JSON.stringify({
        query: QUERY,
        extensions: { persistedQuery: { version: 1, sha256Hash: 'ab'.repeat(32) } },
      }),
    );
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({
      errors: [
        { message: 'provided sha does not match query', extensions: { code: 'BAD_REQUEST' } },
      ],
    });
    expect(errorLines()).toEqual([]);
  });

  it('answers an unknown version with 400 BAD_REQUEST, logged below error', async () => {
    logLines.length = 0;
    const sha256Hash = createHash('sha256').update(QUERY).digest('hex');
    const response = await post(
      JSON.stringify({ query: QUERY, extensions: { persistedQuery: { version: 2, sha256Hash } } }),
    );
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({
      errors: [
        { message: 'Unsupported persisted query version', extensions: { code: 'BAD_REQUEST' } },
      ],
    });
    expect(errorLines()).toEqual([]);
  });
});

describe('a request without a usable Host header', () => {
  const request = (hostLine: string, version: string, query: string) => {
    const body = JSON.stringify({ query });
    return rawExchange([
      `POST /graphql HTTP/${version}\r\n${hostLine}content-type: application/json\r\n` +
        `content-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
    ]);
  };

  it('gets 400 BAD_REQUEST, whether its document is compiled or not', async () => {
    logLines.length = 0;
    const query = '{ categories { id name } }';
    const cases = [
      ['', '1.0'],
      ['host: a b\r\n', '1.1'],
    ] as const;
    for (const [hostLine, version] of cases) {
      const fresh = await request(hostLine, version, `${query} # ${version}`);
      for (let i = 0; i < 3; i++) await server.gql(`${query} # ${version}`);
      const compiled = await request(hostLine, version, `${query} # ${version}`);
      for (const { text } of [fresh, compiled]) {
        expect(statusOf(text)).toBe(400);
        expect(JSON.parse(bodyOf(text))).toEqual({
          errors: [
            {
              message: expect.stringMatching(/Host header/),
              extensions: { code: 'BAD_REQUEST' },
            },
          ],
        });
      }
    }
    expect(errorLines()).toEqual([]);
  });
});

describe('a client trickling its request', () => {
  const head = (length: number) =>
    `POST /graphql HTTP/1.1\r\nhost: localhost\r\ncontent-type: application/json\r\n` +
    `content-length: ${length}\r\n\r\n`;

  it('is answered 408 (or cut off) once the request timeout has passed', async () => {
    const body = JSON.stringify({ query: QUERY });
    const { text, ms } = await rawExchange([head(body.length), ...body.split('')], {
      gapMs: 400,
    });
    // 1.5 s plus Node's check interval (a tenth of the headers timeout), with room for a slow CI.
    expect(ms).toBeLessThan(4000);
    if (text) expect(statusOf(text)).toBe(408);
  });

  it('cannot hold a socket by sending its headers slowly either', async () => {
    const { text, ms } = await rawExchange(head(10).split(''), { gapMs: 300 });
    expect(ms).toBeLessThan(4000);
    if (text) expect(statusOf(text)).toBe(408);
  });
});

describe('a body over the limit', () => {
  // 32 times the limit, half the linger bound: the client is still writing when the 413 is sent.
  const big = JSON.stringify({ query: QUERY, variables: { pad: 'x'.repeat(2_097_152) } });

  it('is answered 413 to every client, though it is still sending (fetch)', async () => {
    const statuses: (number | string)[] = [];
    for (let i = 0; i < 30; i++) {
      statuses.push(
        await post(big).then(
          (response) => response.status,
          (error: Error & { cause?: { code?: string } }) => error.cause?.code ?? error.message,
        ),
      );
    }
    expect(statuses).toEqual(Array(30).fill(413));
    expect((await post(big)).headers.get('cache-control')).toBe('no-store');
  });

  it('is answered 413 to every client, though it is still sending (raw socket)', async () => {
    const head =
      `POST /graphql HTTP/1.1\r\nhost: localhost\r\ncontent-type: application/json\r\n` +
      `transfer-encoding: chunked\r\n\r\n`;
    const outcomes: string[] = [];
    for (let i = 0; i < 30; i++) {
      // Streamed in 64 KB chunks, its length unknown to the server until the end.
      const chunks = [
        head,
        ...(big.match(/[^]{1,65536}/g) ?? []).map((c) => `${c.length.toString(16)}\r\n${c}\r\n`),
        '0\r\n\r\n',
      ];
      const { text, error } = await rawExchange(chunks, { waitMs: 5000 });
      outcomes.push(`${statusOf(text)} ${error ?? 'no error'}`);
    }
    // Not one write failed: the server read (and dropped) the whole body before closing.
    expect(outcomes).toEqual(Array(30).fill('413 no error'));
  });

  it('cuts off a client that keeps sending after its 413, once the linger bound has passed', async () => {
    const head =
      `POST /graphql HTTP/1.1\r\nhost: localhost\r\ncontent-type: application/json\r\n` +
      `content-length: 1000000000\r\n\r\n`;
    // 64 KB every 20 ms: far more than HTTP_LINGER_BYTES (4 MB) over HTTP_LINGER_MS (1.5 s)
    // would allow, so whichever bound comes first ends it.
    const chunk = Buffer.alloc(65_536, 'x');
    const { text, ms } = await rawExchange([head, ...Array<Buffer>(1000).fill(chunk)], {
      gapMs: 20,
      waitMs: 15_000,
    });
    expect(statusOf(text)).toBe(413);
    expect(ms).toBeLessThan(5000);
  });
});
