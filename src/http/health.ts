import type { MikroORM } from '@mikro-orm/postgresql';
import type { FastifyInstance } from 'fastify';

/** Flipped by the shutdown sequence so load balancers stop routing before the server stops. */
export interface Readiness {
  shuttingDown: boolean;
}

/**
 * `/health/live`: the process answers (restart it if not). `/health/ready`: it can serve, meaning
 * it is not shutting down and the database answers a query (route traffic elsewhere if not).
 */
export function registerHealthRoutes(app: FastifyInstance, orm: MikroORM, readiness: Readiness) {
  app.get('/health/live', async () => ({ status: 'ok' }));

  app.get('/health/ready', async (_request, reply) => {
    if (readiness.shuttingDown) {
      return reply.code(503).send({ status: 'unavailable', reason: 'shutting down' });
    }
    const database = await orm.checkConnection();
    if (!database.ok) {
      reply.log.warn({ reason: database.reason }, 'readiness: database unreachable');
      return reply.code(503).send({ status: 'unavailable', reason: 'database unreachable' });
    }
    return { status: 'ok' };
  });
}
