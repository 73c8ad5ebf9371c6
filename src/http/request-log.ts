import type { FastifyInstance } from 'fastify';
import type { Context } from '../graphql/context';
import type { Metrics } from '../observability/metrics';

declare module 'fastify' {
  interface FastifyRequest {
    /**
     * Set for /graphql requests once Apollo has built the operation's context; its session
     * ends when the request is answered, its report stays for this log line.
     */
    graphqlContext?: Context;
  }
}

const QUIET_ROUTES = new Set(['/health/live', '/health/ready', '/metrics']);

/**
 * One log line per request, when it is answered: request id, route, status, duration, and for
 * GraphQL the operation name and error codes. Headers (and so tokens) are never logged. Probes
 * and scrapes log at debug level, so they do not drown the rest.
 */
export function registerRequestLog(app: FastifyInstance, metrics: Metrics): void {
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
