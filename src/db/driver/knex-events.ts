import type { Knex } from '@mikro-orm/postgresql';

/*
 * knex's statement events, as read from knex 3.2.10: every statement is announced with 'query'
 * and ended with 'query-response' or 'query-error', the three carrying the same object, whose
 * `__knexQueryUid` (lib/raw.js, lib/query/querycompiler.js) pairs them. The events are public;
 * the uid and emitting them ourselves are not.
 * Contract: driver-contract.int.test.ts; how to lift the pin: docs/dependencies.md#knex.
 */

/** A statement as knex announces it. */
export interface AnnouncedStatement {
  __knexQueryUid: string;
  sql: string;
  bindings: readonly unknown[];
}

let announcedCount = 0;

/**
 * Announces a statement run outside knex's query runner as knex announces its own, so every
 * observer of the pool's statements (the statement metrics, the tests' counter) sees it too.
 * End it with `statementSucceeded` or `statementFailed`.
 */
export function announceStatement(
  knex: Knex,
  sql: string,
  bindings: readonly unknown[],
): AnnouncedStatement {
  const announced = { __knexQueryUid: `read-${(announcedCount += 1)}`, sql, bindings };
  knex.emit('query', announced);
  return announced;
}

export function statementSucceeded(knex: Knex, announced: AnnouncedStatement, rows: unknown): void {
  knex.emit('query-response', rows, announced);
}

export function statementFailed(knex: Knex, announced: AnnouncedStatement, error: unknown): void {
  knex.emit('query-error', error, announced);
}

/** Called with the uid that pairs a statement's start and its end (see observeStatementUids). */
export interface StatementUidObserver {
  started(uid: string): void;
  ended(uid: string, outcome: 'ok' | 'error'): void;
}

/** Watches every statement of the pool, knex's and ours, by its uid. */
export function observeStatementUids(knex: Knex, observer: StatementUidObserver): void {
  knex.on('query', (query: { __knexQueryUid?: string }) => {
    if (query.__knexQueryUid !== undefined) observer.started(query.__knexQueryUid);
  });
  knex.on('query-response', (_rows: unknown, query: { __knexQueryUid?: string }) => {
    if (query.__knexQueryUid !== undefined) observer.ended(query.__knexQueryUid, 'ok');
  });
  knex.on('query-error', (_error: unknown, query: { __knexQueryUid?: string }) => {
    if (query.__knexQueryUid !== undefined) observer.ended(query.__knexQueryUid, 'error');
  });
}
