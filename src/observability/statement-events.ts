import type { MikroORM } from '@mikro-orm/postgresql';

/** Called for every SQL statement the engine's pool runs, when it ends. */
export interface StatementObserver {
  finished(seconds: number, outcome: 'ok' | 'error'): void;
}

/** knex announces each statement and its end with the same uid: this pairs them. */
export function observeStatements(orm: MikroORM, observer: StatementObserver): void {
  const knex = orm.em.getConnection().getKnex();
  const started = new Map<string, bigint>();
  knex.on('query', (query: { __knexQueryUid?: string }) => {
    if (query.__knexQueryUid) started.set(query.__knexQueryUid, process.hrtime.bigint());
  });
  const finish =
    (outcome: 'ok' | 'error') => (_result: unknown, query: { __knexQueryUid?: string }) => {
      const uid = query.__knexQueryUid;
      const start = uid === undefined ? undefined : started.get(uid);
      if (uid === undefined || start === undefined) return;
      started.delete(uid);
      observer.finished(Number(process.hrtime.bigint() - start) / 1e9, outcome);
    };
  knex.on('query-response', finish('ok'));
  knex.on('query-error', finish('error'));
}
