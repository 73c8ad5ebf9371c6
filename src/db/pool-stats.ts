import type { MikroORM } from '@mikro-orm/postgresql';

/** The parts of knex's tarn pool worth watching; knex types its client loosely. */
interface TarnPool {
  numUsed(): number;
  numFree(): number;
  numPendingAcquires(): number;
  numPendingCreates(): number;
}

export interface PoolStats {
  used: number;
  idle: number;
  pendingAcquires: number;
  pendingCreates: number;
}

/** What the engine's connection pool is doing now (all zero before the first connection). */
export function poolStats(orm: MikroORM): PoolStats {
  const pool = (orm.em.getConnection().getKnex().client as { pool?: TarnPool }).pool;
  return {
    used: pool?.numUsed() ?? 0,
    idle: pool?.numFree() ?? 0,
    pendingAcquires: pool?.numPendingAcquires() ?? 0,
    pendingCreates: pool?.numPendingCreates() ?? 0,
  };
}
