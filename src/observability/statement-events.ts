import type { MikroORM } from '@mikro-orm/postgresql';
import { observeStatementUids } from '../db/driver';

/** Called for every SQL statement the engine's pool runs, when it ends. */
export interface StatementObserver {
  finished(seconds: number, outcome: 'ok' | 'error'): void;
}

/** Times every statement of the pool from its announcement to its end. */
export function observeStatements(orm: MikroORM, observer: StatementObserver): void {
  const started = new Map<string, bigint>();
  observeStatementUids(orm.em.getConnection().getKnex(), {
    started: (uid) => started.set(uid, process.hrtime.bigint()),
    ended: (uid, outcome) => {
      const start = started.get(uid);
      if (start === undefined) return;
      started.delete(uid);
      observer.finished(Number(process.hrtime.bigint() - start) / 1e9, outcome);
    },
  });
}
