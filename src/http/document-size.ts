import type { FastifyReply, FastifyRequest } from 'fastify';

/**
 * Refuses a GraphQL document longer than `maxBytes` before anything parses, hashes or keeps it:
 * comments and whitespace cost no tokens, so the token limit alone lets megabytes through.
 * Returns true when the request was answered (413, in GraphQL's error shape).
 */
export function refuseOversizedDocument(
  request: FastifyRequest,
  reply: FastifyReply,
  maxBytes: number,
): boolean {
  const source = request.method === 'GET' ? request.query : request.body;
  const query = (source as { query?: unknown } | null | undefined)?.query;
  if (typeof query !== 'string' || utf8Bytes(query, maxBytes) <= maxBytes) return false;
  void reply
    .code(413)
    .header('cache-control', 'no-store')
    .send({
      errors: [
        {
          message: `The GraphQL document is larger than this server accepts (${maxBytes} bytes)`,
          extensions: { code: 'DOCUMENT_TOO_LARGE', maximumBytes: maxBytes },
        },
      ],
    });
  return true;
}

/** The text's UTF-8 length, counted only when its UTF-16 length leaves it in doubt. */
function utf8Bytes(text: string, maxBytes: number): number {
  if (text.length > maxBytes) return text.length; // at least one byte per UTF-16 unit
  if (text.length * 3 <= maxBytes) return text.length; // at most three
  return Buffer.byteLength(text, 'utf8');
}
