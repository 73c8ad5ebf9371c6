import type { MikroORM } from '@mikro-orm/postgresql';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';

/** What readiness depends on besides the database answering now. */
export interface Readiness {
  /** Migrations applied (and the demo seeded) since start: until then nothing can be served. */
  databaseReady: boolean;
  /** Set first by the shutdown sequence, so load balancers stop routing before the server stops. */
  shuttingDown: boolean;
}

export interface HealthPluginOptions {
  orm: MikroORM;
  /** Shared with start-up and shutdown, which flip it. */
  readiness: Readiness;
}

/**
 * `/health/live`: the process answers (restart it if not). `/health/ready`: it can serve, meaning
 * it is not shutting down and the database answers a query (route traffic elsewhere if not).
 */
export const healthPlugin = fp(health, { name: 'health', fastify: '5.x' });

async function health(app: FastifyInstance, { orm, readiness }: HealthPluginOptions) {
  app.get('/health/live', async () => ({ status: 'ok' }));

  app.get('/health/ready', async (_request, reply) => {
    if (readiness.shuttingDown) {
      return reply.code(503).send({ status: 'unavailable', reason: 'shutting down' });
    }
    if (!readiness.databaseReady) {
      return reply
        .code(503)
        .send({ status: 'unavailable', reason: 'starting: database not ready' });
    }
    const database = await orm.checkConnection();
    if (!database.ok) {
      reply.log.warn({ reason: database.reason }, 'readiness: database unreachable');
      return reply.code(503).send({ status: 'unavailable', reason: 'database unreachable' });
    }
    return { status: 'ok' };
  });
}
