import type { FastifyError, FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { lingerOnClose, type LingerBounds } from './lingering-close';
import { RequestRefusedError } from './request-guards';

/**
 * Errors Fastify raises before a request reaches Apollo (a body over the limit, malformed JSON,
 * an unknown content type) answered in GraphQL's error shape, so clients parse one format.
 * Anything unexpected is logged and masked, like errors inside GraphQL.
 */
export const httpErrorsPlugin = fp(httpErrors, { name: 'http-errors', fastify: '5.x' });

export interface HttpErrorsPluginOptions {
  /** Bounds of the lingering close after a 413 (src/http/lingering-close.ts). */
  linger: LingerBounds;
}

async function httpErrors(app: FastifyInstance, { linger }: HttpErrorsPluginOptions) {
  app.setErrorHandler((error: FastifyError, request, reply) => {
    // As Apollo's own error answers: an error is about this request, never to be cached.
    void reply.header('cache-control', 'no-store');
    const status = error.statusCode && error.statusCode >= 400 ? error.statusCode : 500;
    if (status === 503) {
      return reply
        .code(503)
        .send(
          graphqlError('The server is shutting down or overloaded; retry', 'SERVICE_UNAVAILABLE'),
        );
    }
    if (status >= 500) {
      request.log.error({ err: error }, 'request failed');
      return reply.code(500).send(graphqlError('Internal server error', 'INTERNAL_SERVER_ERROR'));
    }
    if (error instanceof RequestRefusedError) {
      return reply.code(status).send(graphqlError(error.message, error.code, error.extensions));
    }
    // Refused before its body was read: the client may still be sending it.
    if (status === 413) lingerOnClose(request.raw, linger);
    const code = status === 413 ? 'PAYLOAD_TOO_LARGE' : 'BAD_REQUEST';
    const message =
      status === 413 ? 'The request body is larger than this server accepts' : error.message;
    return reply.code(status).send(graphqlError(message, code));
  });
}

function graphqlError(message: string, code: string, extensions: Record<string, unknown> = {}) {
  return { errors: [{ message, extensions: { code, ...extensions } }] };
}
