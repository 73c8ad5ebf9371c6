import type { MikroORM } from '@mikro-orm/postgresql';
import { poolCounters, type PoolCounters } from './driver';

export type PoolStats = PoolCounters;

/** What the engine's connection pool is doing now (all zero before the first connection). */
export function poolStats(orm: MikroORM): PoolStats {
  return poolCounters(orm.em.getConnection().getKnex());
}
