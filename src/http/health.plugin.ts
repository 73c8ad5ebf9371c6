import type { MikroORM } from '@mikro-orm/postgresql';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { replicasOf, type DatabaseTargets } from '../db/replicas/targets';

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
    // With replicas, each target's state: a replica out of the rotation leaves reads to the
    // primary (still ready); the primary down is not ready.
    const targets = replicasOf(orm) && targetStates(replicasOf(orm)!, database.ok);
    if (!database.ok) {
      reply.log.warn({ reason: database.reason }, 'readiness: database unreachable');
      return reply
        .code(503)
        .send({ status: 'unavailable', reason: 'database unreachable', ...targets });
    }
    return { status: 'ok', ...targets };
  });
}

function targetStates(targets: DatabaseTargets, primaryUp: boolean) {
  return {
    targets: Object.fromEntries([
      ['primary', primaryUp ? 'up' : 'down'],
      ...targets.replicas.map((replica) => [replica.name, replica.state]),
    ]) as Record<string, string>,
  };
}
