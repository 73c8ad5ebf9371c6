import type { EntityManager, MikroORM } from '@mikro-orm/postgresql';
import { selectRows } from '../../shared/sql';
import { parseLsn } from './lsn';
import type { DatabaseTargets, Target } from './targets';

/**
 * Where one request's session reads (docs/operations.md#replicas-and-read-your-writes). It
 * starts on the primary; a query is pinned once, before its first read, to one replica (or the
 * primary) for all its statements; a mutation stays on the primary, and what it committed is
 * remembered as a WAL position for the client's consistency token.
 */
export class SessionRouting {
  /** Where the session reads: the primary until a query is pinned elsewhere. */
  target: Target;
  /** Whether a consistency token decided the target (a replica that had replayed past it, or
   * the primary after none did in time): what tracing asks, besides `target.name`. */
  byToken = false;
  /** The position the response vouches for: the replica's replay position, or a commit's. */
  position: bigint | null = null;
  /** A read failed on the pinned replica and was answered by the primary. */
  fellBack = false;
  private pinned = false;

  constructor(
    private readonly targets: DatabaseTargets,
    /** The position the request's token asks for; null without a (valid) token. */
    readonly required: bigint | null,
  ) {
    this.target = targets.primary;
  }

  /**
   * Chooses the query's target: the next replica in turn; with a token, the first that has
   * replayed past its position (each checked in its own statement, before any read, so the
   * reads' snapshots are newer than the check), polling for at most the configured wait; else
   * the primary. Returns the session to read through, made by `fork`; null: the primary's.
   */
  async pinQuery(fork: (orm: MikroORM) => EntityManager): Promise<EntityManager | null> {
    if (this.pinned) return null;
    this.pinned = true;
    const candidates = this.targets.rotation();
    if (!candidates.length) return null;
    if (this.required === null) {
      // Nothing to wait for: no statement of its own before the reads (`settle` reads the
      // position the answer vouches for after them).
      const [candidate] = candidates as [Target];
      this.target = candidate;
      return fork(candidate.orm);
    }
    const { waitMs, pollMs } = this.targets.options;
    const deadline = Date.now() + waitMs;
    for (;;) {
      for (const candidate of candidates) {
        if (candidate.state !== 'up') continue;
        const em = fork(candidate.orm);
        const replayed = await replayPosition(em).catch(() => {
          candidate.state = 'down'; // the health check brings it back (or the next request)
          return null;
        });
        if (replayed === null) continue;
        if (replayed >= this.required) {
          this.target = candidate;
          this.byToken = true;
          this.position = replayed;
          return em;
        }
      }
      if (Date.now() + pollMs > deadline) break;
      await new Promise((resolve) => setTimeout(resolve, pollMs));
    }
    this.byToken = true;
    return null;
  }

  /** Whether the session reads from a replica (a query pinned to one). */
  get onReplica(): boolean {
    return this.target !== this.targets.primary;
  }

  /**
   * The query has run on a replica: the position its answer vouches for is read now, after its
   * reads, so it is at or past every snapshot they took. Where the replica was before them (its
   * last health check, or the token's check) is a lower bound: a client sending that on could be
   * served next by a replica behind what it has already seen. Unknown (the check failed): no
   * position, rather than one lower than the answer's. After a read answered by the primary
   * (`readOnPrimary`), the primary's position stands: it is past the replica's.
   */
  async settle(em: EntityManager): Promise<void> {
    if (this.fellBack) return;
    const replayed = await replayPosition(em).catch(() => null);
    // The check itself may have been answered by the primary (the replica gone meanwhile).
    if (!this.fellBack) this.position = replayed;
  }

  /** A mutation committed on the primary: its position, read after the commit. */
  async committed(em: EntityManager): Promise<void> {
    const lsn = await primaryPosition(em);
    if (lsn !== null && (this.position === null || lsn > this.position)) this.position = lsn;
  }

  /**
   * A read of this query failed on its replica and was run again on the primary (src/shared/sql):
   * the response may show data past the replica's position, so it vouches for the primary's,
   * read after that read. Unknown (the primary failing now): no token rather than a low one.
   */
  async readOnPrimary(em: EntityManager): Promise<void> {
    this.fellBack = true;
    const lsn = await primaryPosition(em).catch(() => null);
    if (lsn === null) this.position = null;
    else if (this.position !== null && this.position >= lsn) return;
    else this.position = lsn;
  }

  /** The consistency token for the response, when there is a position to vouch for. */
  token(): string | undefined {
    if (this.position === null) return undefined;
    // Never lower than what the client sent: its next read must not go back in time.
    const position =
      this.required !== null && this.required > this.position ? this.required : this.position;
    return this.targets.options.tokens.sign(position);
  }
}

/** Where the primary's WAL is now: past everything committed before it is read. */
async function primaryPosition(em: EntityManager): Promise<bigint | null> {
  const [row] = await selectRows<{ lsn: string }>(
    em,
    'select pg_current_wal_insert_lsn()::text as lsn',
  );
  return row ? parseLsn(row.lsn) : null;
}

/** How far the replica has replayed, asked in a statement of its own (null: not a standby). */
async function replayPosition(em: EntityManager): Promise<bigint | null> {
  const [row] = await selectRows<{ lsn: string | null }>(
    em,
    'select pg_last_wal_replay_lsn()::text as lsn',
  );
  return row?.lsn ? parseLsn(row.lsn) : null;
}

const routedSessions = new WeakMap<EntityManager, SessionRouting>();

/** The request `em` serves is routed (replicas configured): its mutations report positions. */
export function routeSession(em: EntityManager, routing: SessionRouting): void {
  routedSessions.set(em, routing);
}

export function routingOf(em: EntityManager): SessionRouting | undefined {
  return routedSessions.get(em);
}
