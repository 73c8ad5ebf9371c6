import type { MikroORM } from '@mikro-orm/postgresql';
import type { ConsistencyTokens } from './consistency-token';
import { parseLsn } from './lsn';
import { SessionRouting } from './session-routing';

/** One database the engine reads from: the primary, or a streaming replica of it. */
export interface Target {
  /** `primary`, `replica1`, `replica2`… in DATABASE_REPLICA_URLS order (metrics, readiness). */
  readonly name: string;
  /** The target's own engine and pool: a session forked from it reads only there. */
  readonly orm: MikroORM;
  readonly replica: boolean;
  /** In the rotation (`up`), or out of it until the health check sees it well again. */
  state: 'up' | 'down' | 'lagging';
  /** Replay lag at the last check, in ms (replicas; 0 for the primary). */
  lagMs: number;
  /** How far it had replayed at the last check (replicas): a lower bound of what it serves. */
  replayed: bigint | null;
}

export interface RoutingOptions {
  tokens: ConsistencyTokens;
  /** How long a request with a token waits for a replica to replay up to it (then: primary). */
  waitMs: number;
  pollMs: number;
  /** A replica further behind than this leaves the rotation until it has caught up. */
  maxLagMs: number;
  /** How often each replica's health and lag are checked, in the background. */
  checkEveryMs: number;
}

/**
 * Lag as time: 0 while the replica has replayed all it received, else the age of the last
 * transaction it replayed (an idle primary sends nothing, so that age alone would grow).
 */
const HEALTH_CHECK = `select pg_is_in_recovery() as standby,
  pg_last_wal_replay_lsn()::text as replayed,
  case when pg_last_wal_receive_lsn() is null or pg_last_wal_replay_lsn() >= pg_last_wal_receive_lsn()
    then 0
    else coalesce(extract(epoch from now() - pg_last_xact_replay_timestamp()) * 1000, 0)
  end::float8 as lag_ms`;

/**
 * Every database of the process (docs/operations.md#replicas-and-read-your-writes): the primary
 * engine, and one engine per replica, each with its own pool. A request's session is pinned to
 * one of them for all its reads (SessionRouting), which MikroORM's own `replicas` option cannot
 * do: it picks a replica per statement. Absent (no DATABASE_REPLICA_URLS): nothing routes, and
 * the request path is what it was.
 */
export class DatabaseTargets {
  readonly primary: Target;
  readonly replicas: readonly Target[];
  private turn = 0;

  constructor(
    primary: MikroORM,
    replicas: readonly MikroORM[],
    readonly options: RoutingOptions,
  ) {
    this.primary = {
      name: 'primary',
      orm: primary,
      replica: false,
      state: 'up',
      lagMs: 0,
      replayed: null,
    };
    this.replicas = replicas.map((orm, i) => ({
      name: `replica${i + 1}`,
      orm,
      replica: true,
      state: 'up',
      lagMs: 0,
      replayed: null,
    }));
  }

  private checks: NodeJS.Timeout | undefined;
  private checking: Promise<void> | undefined;

  /** Checks every replica now and then every `checkEveryMs`, until `close()`. */
  startHealthChecks(): void {
    const tick = () => {
      // Bounded: a check still running (a replica that hangs) is not stacked with another.
      this.checking ??= this.checkReplicas().finally(() => (this.checking = undefined));
    };
    tick();
    this.checks = setInterval(tick, this.options.checkEveryMs);
    this.checks.unref(); // never what keeps the process alive
  }

  /** One round of checks: a replica that fails is `down`, one too far behind `lagging`. */
  async checkReplicas(): Promise<void> {
    await Promise.all(
      this.replicas.map(async (replica) => {
        try {
          const [row] = await replica.orm.em
            .getConnection()
            .execute<{ standby: boolean; replayed: string | null; lag_ms: number }[]>(HEALTH_CHECK);
          replica.lagMs = row?.lag_ms ?? 0;
          const replayed = parseLsn(row?.replayed);
          if (replayed !== null && (replica.replayed === null || replayed > replica.replayed)) {
            replica.replayed = replayed;
          }
          replica.state = !row?.standby
            ? 'down' // promoted, or pointed at a primary: not a replica of this one
            : replica.lagMs > this.options.maxLagMs
              ? 'lagging'
              : 'up';
        } catch {
          replica.state = 'down';
        }
      }),
    );
  }

  get all(): readonly Target[] {
    return [this.primary, ...this.replicas];
  }

  /** The replicas in the rotation, starting with the next one in turn (round robin). */
  rotation(): Target[] {
    const up = this.replicas.filter((replica) => replica.state === 'up');
    if (up.length < 2) return up;
    const start = this.turn++ % up.length;
    return [...up.slice(start), ...up.slice(0, start)];
  }

  /** A request's routing, from its `x-consistency-token` header (ignored when not valid). */
  async session(tokenHeader: string | string[] | undefined): Promise<SessionRouting> {
    const required =
      tokenHeader === undefined ? null : await this.options.tokens.verify(tokenHeader);
    return new SessionRouting(this, required);
  }

  async close(): Promise<void> {
    clearInterval(this.checks);
    await this.checking;
    await Promise.all(this.replicas.map((replica) => replica.orm.close()));
  }
}

const targetsOf = new WeakMap<MikroORM, DatabaseTargets>();

/** Set once at boot (src/db/database.ts): the primary engine carries its replicas. */
export function attachTargets(primary: MikroORM, targets: DatabaseTargets): void {
  targetsOf.set(primary, targets);
}

/** The engine's targets when replicas are configured; undefined otherwise. */
export function replicasOf(orm: MikroORM): DatabaseTargets | undefined {
  return targetsOf.get(orm);
}
