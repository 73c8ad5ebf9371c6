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
 * it is not shutting down and the database answers a query (route traffic elsewhere if not); with
 * replicas, a replica in the rotation while the primary is down still serves reads (`degraded`).
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
    const replicas = replicasOf(orm);
    // With replicas, each target's state: a replica out of the rotation leaves reads to the
    // primary (still ready).
    const targets = replicas && targetStates(replicas, database.ok);
    if (!database.ok) {
      reply.log.warn({ reason: database.reason }, 'readiness: database unreachable');
      // The primary down, a replica up: still ready, for reads only — every instance shares the
      // primary, and a balancer that dropped them all would fail the reads too
      // (docs/operations.md#the-primary-down-with-replicas).
      if (replicas?.replicas.some((replica) => replica.state === 'up')) {
        return { status: 'degraded', reason: 'primary unreachable: reads only', ...targets };
      }
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
