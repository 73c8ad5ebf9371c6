import type { EntityManager, MikroORM } from '@mikro-orm/postgresql';
import type { FastifyBaseLogger } from 'fastify';
import { OperationTypeNode } from 'graphql';
import { routeSession, type SessionRouting } from '../db/replicas/session-routing';
import type { Viewer } from '../auth/viewer';
import type { OperationReport } from '../observability/operation-report';
import { SqlSpend } from '../observability/sql-spend';
import { ClientDeparture } from '../shared/client-departure';
import { cancelReadsOnDeparture, retryReplicaReadsOn } from '../shared/sql';
import { Loaders } from './loaders';

/** The request's unit of work and what hangs off it: released as a whole when it ends. */
interface Session {
  /** Forked when made (one database), or on first use (replicas: RoutedSessionContext). */
  em: EntityManager;
  loaders: Loaders;
  departure: ClientDeparture;
  sql: SqlSpend;
  /** With replicas configured: where the session reads (src/db/replicas). */
  routing?: SessionRouting | undefined;
  /** With replicas: the primary's engine, and the session forked from it once needed. */
  orm?: MikroORM | undefined;
  primary?: EntityManager | undefined;
}

/**
 * What every resolver of one GraphQL operation shares, and nothing outside it does. Made once
 * per request by `createContext`; `endSession` lets go of its session when it is answered.
 */
export interface Context {
  /** This request's unit of work: its own identity map; writes only when a mutation flushes. */
  readonly em: EntityManager;
  /** This request's DataLoaders, bound to `em`; renewed after each mutation. */
  loaders: Loaders;
  /** Who is asking, from the bearer token; null for anonymous readers. */
  readonly viewer: Viewer | null;
  readonly requestId: string;
  readonly log: FastifyBaseLogger;
  /** Aborts when the client goes away before its answer is complete (made on first use). */
  readonly signal: AbortSignal;
  /** The SQL this operation ran so far (statements, time), booked by its session. */
  readonly sql: SqlSpend;
  /** Filled in as the operation runs; the request's log line and the metrics read it. */
  readonly report: OperationReport;
  /**
   * With replicas configured, where the session reads: `routing.target.name` (primary,
   * replica1…) and `routing.byToken` (a consistency token sent it there). Undefined otherwise.
   */
  readonly routing: SessionRouting | undefined;
  /**
   * The operation is resolved: a query is pinned to its database target before its first read
   * (a promise while it is being chosen); undefined when there is nothing to wait for.
   */
  route(operation: OperationTypeNode | undefined): Promise<void> | undefined;
  /**
   * The operation has run: with a query read from a replica, the position the answer vouches
   * for is read (a promise); undefined when there is nothing to read.
   */
  settle(): Promise<void> | undefined;
}

/**
 * The request has been answered: its session is dropped (the seed's `db.close()`). Work still
 * running keeps what it already holds; reading the session through the context now throws.
 */
export function endSession(context: Context | undefined): void {
  if (context instanceof SessionContext) context.end();
}

/**
 * Context with the session read through one holder, so that ending it reaches Apollo's copy of
 * the context too (same prototype, shared holder) and a finished request keeps nothing of its
 * session reachable (docs/performance.md#young-generation-promotion).
 */
class SessionContext implements Context {
  protected readonly open: { session: Partial<Session> | null };

  constructor(
    session: Partial<Session>,
    readonly viewer: Viewer | null,
    readonly requestId: string,
    readonly log: FastifyBaseLogger,
    readonly report: OperationReport,
  ) {
    this.open = { session };
  }

  get em(): EntityManager {
    return this.open.session?.em ?? ended();
  }

  get loaders(): Loaders {
    return this.open.session?.loaders ?? ended();
  }

  set loaders(loaders: Loaders) {
    (this.open.session ?? ended()).loaders = loaders;
  }

  get signal(): AbortSignal {
    return (this.open.session?.departure ?? ended()).signal;
  }

  get sql(): SqlSpend {
    return this.open.session?.sql ?? ended();
  }

  get routing(): SessionRouting | undefined {
    return this.open.session?.routing;
  }

  route(_operation: OperationTypeNode | undefined): Promise<void> | undefined {
    return undefined; // one database: nothing to choose
  }

  settle(): Promise<void> | undefined {
    return undefined; // one database: no position to vouch for
  }

  /** Empties the session and the holder both: either alone kept the promotion (measured). */
  end(): void {
    const session = this.open.session;
    if (!session) return;
    session.em = session.loaders = session.departure = session.sql = session.routing = undefined;
    this.open.session = null;
  }
}

/**
 * With replicas: the session is forked on first use, once — from the pinned target for a query,
 * from the primary for a mutation or anything read before the operation was resolved
 * (docs/operations.md#one-fork-per-request).
 */
class RoutedSessionContext extends SessionContext {
  override get em(): EntityManager {
    const session = this.open.session ?? ended();
    return (session.em ??= primarySession(session));
  }

  override get loaders(): Loaders {
    const session = this.open.session ?? ended();
    return (session.loaders ??= new Loaders(this.em));
  }

  override set loaders(loaders: Loaders) {
    (this.open.session ?? ended()).loaders = loaders;
  }

  override end(): void {
    const session = this.open.session;
    if (session) session.orm = session.primary = undefined;
    super.end();
  }

  override settle(): Promise<void> | undefined {
    const session = this.open.session;
    // No read ran, no position to vouch for (and no statement for it).
    if (!session?.routing?.onReplica || !session.sql!.statements) return undefined;
    return session.routing.settle(session.em!);
  }

  override route(operation: OperationTypeNode | undefined): Promise<void> | undefined {
    const session = this.open.session;
    const routing = session?.routing;
    // Mutations (and subscriptions) stay on the primary, payload included.
    if (!routing || operation !== OperationTypeNode.QUERY) return undefined;
    return routing
      .pinQuery((orm) => forkSession(orm, session.sql!, session.departure!))
      .then((em) => {
        // null: the primary's, forked when first read through.
        if (!em || this.open.session !== session) return;
        retryReplicaReadsOn(em, {
          primary: () => primarySession(session),
          // The response may now show the primary's data: its token vouches for that position.
          fellBack: (primary) => routing.readOnPrimary(primary),
        });
        session.em = em;
        session.loaders = undefined; // bound to the replica's session when first used
      });
  }
}

/** The request's session on the primary (made once): for a mutation, or a replica read retried. */
function primarySession(session: Partial<Session>): EntityManager {
  if (session.primary) return session.primary;
  if (!session.orm) ended();
  const em = forkSession(session.orm, session.sql!, session.departure!);
  routeSession(em, session.routing!);
  return (session.primary = em);
}

/** A session of `orm` (the primary's, or a replica's) booking to `sql`, stopped by `departure`. */
function forkSession(orm: MikroORM, sql: SqlSpend, departure: ClientDeparture): EntityManager {
  const em = orm.em.fork();
  // Set, not passed to fork(), which deep-merges it into a copy: measurably slower per request.
  em.setLoggerContext(sql.loggerContext());
  // A client that leaves takes its reads with it: their running SQL is cancelled.
  cancelReadsOnDeparture(em, departure);
  return em;
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
  routing?: SessionRouting,
): Context {
  const sql = new SqlSpend();
  if (routing) {
    // Nothing forked yet: where the session reads is known once the operation is resolved.
    return new RoutedSessionContext(
      { departure, sql, routing, orm },
      viewer,
      request.id,
      request.log,
      { errorCodes: [] },
    );
  }
  const em = forkSession(orm, sql, departure);
  return new SessionContext(
    { em, loaders: new Loaders(em), departure, sql },
    viewer,
    request.id,
    request.log,
    { errorCodes: [] },
  );
}
