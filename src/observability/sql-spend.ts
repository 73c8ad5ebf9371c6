import { DefaultLogger, type EntityManager, type LogContext } from '@mikro-orm/postgresql';

/**
 * The SQL one request ran: statements, and their summed time. It travels with the request's
 * session — the EntityManager fork's logger context, which MikroORM hands to every statement of
 * that fork and of the transaction forks made from it — rather than through AsyncLocalStorage,
 * whose promise hooks cost every promise of the process on Node 20 (a tenth of a product lookup).
 */
export class SqlSpend {
  statements = 0;
  ms = 0;

  record(ms: number): void {
    this.statements += 1;
    this.ms += ms;
  }

  /** The spend of the request `em` serves, if it is one (the global EntityManager is not). */
  static of(em: EntityManager): SqlSpend | undefined {
    const spend = em.getLoggerContext<{ sqlSpend?: unknown }>().sqlSpend;
    return spend instanceof SqlSpend ? spend : undefined;
  }

  /** The logger context that makes a fork record its statements here. */
  loggerContext(): { sqlSpend: SqlSpend } {
    return { sqlSpend: this };
  }
}

/**
 * MikroORM's logger, which also books each statement the ORM runs (queries, flushes, BEGIN and
 * COMMIT) to the spend in its logger context. Reads of the read path (shared/sql.ts) bypass
 * the ORM's runner and book themselves. MikroORM times statements in whole milliseconds.
 */
export class SqlSpendLogger extends DefaultLogger {
  override logQuery(context: { query: string } & LogContext & { sqlSpend?: unknown }): void {
    if (context.sqlSpend instanceof SqlSpend) context.sqlSpend.record(context.took ?? 0);
    super.logQuery(context);
  }
}
