import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';

/**
 * Whether JSON text nests arrays and objects deeper than `max`. A linear scan of the text,
 * before it is parsed: JSON.parse itself copes with any depth, but everything after it that
 * walks or stringifies the value recursively (Apollo, variable coercion, the cost cache key,
 * the request log) would overflow the stack, and no GraphQL request needs such depth. Written
 * here because JSON.parse and secure-json-parse have no depth limit; the scan costs about as
 * much as a copy of the text (docs/performance.md#document-caches).
 */
export function jsonNestsDeeperThan(text: string, max: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c)
        i++; // backslash: the next character is escaped, whatever it is
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) {
      inString = true;
    } else if (c === 0x5b || c === 0x7b) {
      if (++depth > max) return true;
    } else if (c === 0x5d || c === 0x7d) {
      depth--;
    }
  }
  return false;
}

/**
 * A request refused before GraphQL runs, answered by the error handler (src/http/http-errors.ts)
 * in GraphQL's error shape with its own status, code and extensions.
 */
export class RequestRefusedError extends Error {
  readonly statusCode: number;
  readonly code: string;
  readonly extensions: Record<string, unknown>;

  constructor(
    message: string,
    { statusCode = 400, code = 'BAD_REQUEST', extensions = {} }: RefusalOptions = {},
  ) {
    super(message);
    this.statusCode = statusCode;
    this.code = code;
    this.extensions = extensions;
  }
}

interface RefusalOptions {
  statusCode?: number;
  code?: string;
  extensions?: Record<string, unknown>;
}

export const tooDeepMessage = (max: number) =>
  `The request's JSON nests arrays and objects deeper than ${max} levels, which this server does not accept`;

/**
 * Replaces Fastify's JSON body parser by the same parser behind a nesting limit, so a body too
 * deep is a 400 (BAD_REQUEST, src/http/http-errors.ts) before anything reads it.
 */
export const jsonDepthPlugin = fp(limitJsonDepth, { name: 'json-depth', fastify: '5.x' });

async function limitJsonDepth(app: FastifyInstance, { max }: { max: number }) {
  const parse = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    if (jsonNestsDeeperThan(body as string, max)) {
      done(new RequestRefusedError(tooDeepMessage(max)), undefined);
      return;
    }
    void parse(request, body as string, done);
  });
}

/** The last Host header that named a host. */
let acceptedHost: string | undefined;

/**
 * Why a /graphql request cannot be served as sent, before Apollo or the fast path sees it:
 * a Host header missing (HTTP/1.0) or not a host (Apollo's adapter builds a URL from it), or
 * GET `variables`/`extensions` nested too deep (Apollo parses those itself).
 */
export function refusal(request: FastifyRequest, maxJsonDepth: number): string | undefined {
  const host = request.headers.host;
  // Clients send the same Host again and again: parsing it costs ~0.8 µs a request.
  if (!host || (host !== acceptedHost && !URL.canParse(`http://${host}`))) {
    return 'The request needs a Host header naming a host (and port), as HTTP/1.1 requires';
  }
  acceptedHost = host;
  if (request.method !== 'GET') return;
  const query = request.query as Record<string, unknown> | undefined;
  for (const name of ['variables', 'extensions']) {
    const value = query?.[name];
    if (typeof value === 'string' && jsonNestsDeeperThan(value, maxJsonDepth)) {
      return tooDeepMessage(maxJsonDepth);
    }
  }
}

/**
 * A GraphQL document longer than `maxBytes` (UTF-8), refused before anything parses, hashes or
 * keeps it: comments and whitespace cost no tokens, so the token limit alone lets megabytes
 * through. Read from the parsed body (POST) or query string (GET), so it runs in the handler.
 */
export function documentTooLarge(
  request: FastifyRequest,
  maxBytes: number,
): RequestRefusedError | undefined {
  const source = request.method === 'GET' ? request.query : request.body;
  const query = (source as { query?: unknown } | null | undefined)?.query;
  if (typeof query !== 'string' || utf8Bytes(query, maxBytes) <= maxBytes) return;
  return new RequestRefusedError(
    `The GraphQL document is larger than this server accepts (${maxBytes} bytes)`,
    { statusCode: 413, code: 'DOCUMENT_TOO_LARGE', extensions: { maximumBytes: maxBytes } },
  );
}

/** The text's UTF-8 length, counted only when its UTF-16 length leaves it in doubt. */
function utf8Bytes(text: string, maxBytes: number): number {
  if (text.length > maxBytes) return text.length; // at least one byte per UTF-16 unit
  if (text.length * 3 <= maxBytes) return text.length; // at most three
  return Buffer.byteLength(text, 'utf8');
}
