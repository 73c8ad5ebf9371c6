import type { FormattedExecutionResult } from 'graphql';
import { Histogram, type Registry } from 'prom-client';
import type { Context } from '../graphql/context';
import type { OperationConcern } from '../graphql/pipeline';
import { operationLabeler } from './operation-report';

/**
 * The SQL budget of each operation, visible: what its session booked (src/observability/
 * sql-spend.ts) is recorded as a metric in every environment, so a query that suddenly costs
 * more statements shows before users notice, and development responses carry it in
 * `extensions.sql`. A concern of the operation pipeline (src/graphql/pipeline.ts).
 */
export class SqlBudget {
  private readonly perOperation: Histogram<'operation'>;
  private readonly label = operationLabeler();

  constructor(
    registry: Registry,
    private readonly options: { exposeInResponses: boolean },
  ) {
    this.perOperation = new Histogram({
      name: 'graphql_operation_sql_statements',
      help: 'SQL statements per GraphQL operation, by operation name',
      labelNames: ['operation'] as const,
      buckets: [0, 1, 2, 3, 4, 5, 6, 8, 10, 15, 20, 50],
      registers: [registry],
    });
  }

  /** Records the operation's statements, and in development shows them in `result`. */
  record(context: Context, result: FormattedExecutionResult | undefined): void {
    const spend = context.sql;
    this.perOperation.observe(
      { operation: this.label(context.report.operationName) },
      spend.statements,
    );
    if (this.options.exposeInResponses && result) {
      result.extensions = {
        ...result.extensions,
        sql: { statements: spend.statements, durationMs: Math.round(spend.ms * 10) / 10 },
      };
    }
  }

  readonly concern: OperationConcern = {
    responding: (result, _cacheable, _headers, context) => {
      // A request refused before its context existed (not ready, bad token) ran none.
      if (!context.sql) return;
      this.record(context, result);
    },
  };
}
