import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';

const QUIET_ROUTES = new Set(['/health/live', '/health/ready', '/metrics']);

/**
 * Every answer carries its request id (`x-request-id`: the caller's, kept, or a new one), and
 * one log line per request when it is answered: request id, route, status, duration, and for
 * GraphQL the operation name and error codes. Headers (and so tokens) are never logged. Probes
 * and scrapes log at debug level, so they do not drown the rest.
 */
export const requestLogPlugin = fp(requestLog, {
  name: 'request-log',
  fastify: '5.x',
  dependencies: ['metrics'],
});

async function requestLog(app: FastifyInstance): Promise<void> {
  const metrics = app.metrics;
  app.addHook('onRequest', (request, reply, done) => {
    void reply.header('x-request-id', request.id);
    done();
  });
  app.addHook('onResponse', (request, reply, done) => {
    const route = request.routeOptions.url ?? 'unmatched';
    const durationMs = Math.round(reply.elapsedTime * 10) / 10;
    metrics.httpDuration.observe(
      { method: request.method, route, status: String(reply.statusCode) },
      reply.elapsedTime / 1000,
    );
    const report = request.graphqlContext?.report;
    const line = {
      method: request.method,
      route,
      status: reply.statusCode,
      durationMs,
      ...(report && {
        operation: report.operationName ?? null,
        operationType: report.operationType,
        errors: report.errorCodes,
      }),
    };
    if (QUIET_ROUTES.has(route)) request.log.debug(line, 'request completed');
    else request.log.info(line, 'request completed');
    done();
  });
}
