import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
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
    const level = QUIET_ROUTES.has(route) ? 'debug' : 'info';
    // At a quieter level (LOG_LEVEL=warn) the line is not built at all.
    if (!isLevelEnabled(request.log, level)) return done();
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
    request.log[level](line, 'request completed');
    done();
  });
}

/** pino's check; a logger without one (Fastify's type allows it) writes every line. */
function isLevelEnabled(log: FastifyBaseLogger, level: 'debug' | 'info'): boolean {
  return (log as Partial<Pick<Logger, 'isLevelEnabled'>>).isLevelEnabled?.(level) ?? true;
}
