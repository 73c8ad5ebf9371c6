/**
 * Every access to knex's, pg's and MikroORM's private parts, in one place: the reason pg and @mikro-orm/*
 * are pinned exactly. Each is guarded by driver-contract.int.test.ts (docs/dependencies.md).
 */
export {
  acquirePooledClient,
  releasePooledClient,
  poolCounters,
  type PoolCounters,
} from './knex-pool';
export {
  announceStatement,
  statementSucceeded,
  statementFailed,
  observeStatementUids,
  type AnnouncedStatement,
  type StatementUidObserver,
} from './knex-events';
export {
  forgetPreparedStatement,
  sendCancelRequest,
  cancelKeyOf,
  type PooledClient,
} from './pg-client';
export { forkWithoutConfigSync } from './mikro-fork';
