import type { EntityManager, MikroORM } from '@mikro-orm/postgresql';
import type { FastifyBaseLogger } from 'fastify';
import type { Viewer } from '../auth/viewer';
import type { OperationReport } from '../observability/operation-report.plugin';
import { SqlSpend } from '../observability/sql-spend';
import { cancelReadsOnAbort } from '../shared/sql';
import { Loaders } from './loaders';

/** What every resolver of one GraphQL operation shares, and nothing outside it does. */
export interface Context {
  /** This request's unit of work: its own identity map; writes only when a mutation flushes. */
  em: EntityManager;
  /** This request's DataLoaders, bound to `em`; renewed after each mutation. */
  loaders: Loaders;
  /** Who is asking, from the bearer token; null for anonymous readers. */
  viewer: Viewer | null;
  requestId: string;
  log: FastifyBaseLogger;
  /** Filled in as the operation runs; the request's log line and the metrics read it. */
  report: OperationReport;
  /** Aborts when the client goes away before its answer is complete. */
  signal: AbortSignal;
  /** The SQL this operation ran so far (statements, time), booked by its session. */
  sql: SqlSpend;
}

/**
 * The seed's `SessionLocal()`: the one place a request's session is made. `orm.em` is only the
 * template (the session factory); each fork gets a fresh identity map, so nothing one request
 * loaded can be served stale to the next, and the fork is dropped with the request.
 */
export function createContext(
  orm: MikroORM,
  request: { id: string; log: FastifyBaseLogger },
  viewer: Viewer | null,
  signal: AbortSignal = new AbortController().signal,
): Context {
  const sql = new SqlSpend();
  const em = orm.em.fork({ loggerContext: sql.loggerContext() });
  // A client that leaves takes its reads with it: their running SQL is cancelled.
  cancelReadsOnAbort(em, signal);
  return {
    em,
    loaders: new Loaders(em),
    viewer,
    requestId: request.id,
    log: request.log,
    report: { errorCodes: [] },
    signal,
    sql,
  };
}
