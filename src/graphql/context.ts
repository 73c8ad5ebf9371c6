import type { EntityManager, MikroORM } from '@mikro-orm/postgresql';
import type { FastifyBaseLogger } from 'fastify';
import type { Viewer } from '../auth/viewer';
import type { OperationReport } from '../observability/operation-report.plugin';
import { SqlSpend } from '../observability/sql-spend';
import { ClientDeparture } from '../shared/client-departure';
import { cancelReadsOnDeparture } from '../shared/sql';
import { Loaders } from './loaders';

/** The request's unit of work and what hangs off it: released as a whole when it ends. */
interface Session {
  em: EntityManager;
  loaders: Loaders;
  departure: ClientDeparture;
  sql: SqlSpend;
}

/**
 * What every resolver of one GraphQL operation shares, and nothing outside it does.
 *
 * The session's parts are read through getters so that `end()` can let go of all of them when
 * the request is answered. Apollo runs the operation with a copy of this object (own fields
 * copied, same prototype, so the copy shares `open`), and on Node 20 a finished request's
 * objects stay reachable to the young-generation collector until a full collection: whatever
 * they still pointed to — the fork, its identity map, the loaders and their rows — was
 * promoted to the old generation with them, ~1.5 MB per scavenge under W1, twice the
 * collector's work (bench/README.md). `end()` empties the session and the holder both: each
 * alone left the promotion as it was (measured; the collector's reasons are V8's).
 */
export class Context {
  private readonly open: { session: Partial<Session> | null };

  constructor(
    session: Session,
    /** Who is asking, from the bearer token; null for anonymous readers. */
    readonly viewer: Viewer | null,
    readonly requestId: string,
    readonly log: FastifyBaseLogger,
    /** Filled in as the operation runs; the request's log line and the metrics read it. */
    readonly report: OperationReport,
  ) {
    this.open = { session };
  }

  /** This request's unit of work: its own identity map; writes only when a mutation flushes. */
  get em(): EntityManager {
    return this.open.session?.em ?? ended();
  }

  /** This request's DataLoaders, bound to `em`; renewed after each mutation. */
  get loaders(): Loaders {
    return this.open.session?.loaders ?? ended();
  }

  set loaders(loaders: Loaders) {
    (this.open.session ?? ended()).loaders = loaders;
  }

  /** Aborts when the client goes away before its answer is complete (made on first use). */
  get signal(): AbortSignal {
    return (this.open.session?.departure ?? ended()).signal;
  }

  /** The SQL this operation ran so far (statements, time), booked by its session. */
  get sql(): SqlSpend {
    return this.open.session?.sql ?? ended();
  }

  /**
   * The request has been answered: its session is dropped (the seed's `db.close()`). Work
   * still running keeps what it already holds; nothing new reaches the session through the
   * context.
   */
  end(): void {
    const session = this.open.session;
    if (!session) return;
    session.em = session.loaders = session.departure = session.sql = undefined;
    this.open.session = null;
  }
}

function ended(): never {
  throw new Error('This request has ended: its session is closed');
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
  departure = new ClientDeparture(),
): Context {
  const sql = new SqlSpend();
  const em = orm.em.fork({ loggerContext: sql.loggerContext() });
  // A client that leaves takes its reads with it: their running SQL is cancelled.
  cancelReadsOnDeparture(em, departure);
  return new Context(
    { em, loaders: new Loaders(em), departure, sql },
    viewer,
    request.id,
    request.log,
    { errorCodes: [] },
  );
}
