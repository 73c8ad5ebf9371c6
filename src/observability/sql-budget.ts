import type { ApolloServerPlugin } from '@apollo/server';
import { Histogram, type Registry } from 'prom-client';
import type { Context } from '../graphql/context';
import { operationLabeler } from './operation-report.plugin';

/**
 * The SQL budget of each operation, visible: what its session booked (src/observability/
 * sql-spend.ts) is recorded as a metric in every environment, so a query that suddenly costs
 * more statements shows before users notice, and development responses carry it in
 * `extensions.sql`.
 */
export function sqlBudgetPlugin(
  registry: Registry,
  options: { exposeInResponses: boolean },
): ApolloServerPlugin<Context> {
  const perOperation = new Histogram({
    name: 'graphql_operation_sql_statements',
    help: 'SQL statements per GraphQL operation, by operation name',
    labelNames: ['operation'] as const,
    buckets: [0, 1, 2, 3, 4, 5, 6, 8, 10, 15, 20, 50],
    registers: [registry],
  });

  const label = operationLabeler();
  return {
    async requestDidStart() {
      return {
        async willSendResponse({ response, contextValue }) {
          const spend = contextValue.sql;
          // A request refused before its context existed (not ready, bad token) ran none.
          if (!spend) return;
          perOperation.observe(
            { operation: label(contextValue.report.operationName) },
            spend.statements,
          );
          if (options.exposeInResponses && response.body.kind === 'single') {
            response.body.singleResult.extensions = {
              ...response.body.singleResult.extensions,
              sql: { statements: spend.statements, durationMs: Math.round(spend.ms * 10) / 10 },
            };
          }
        },
      };
    },
  };
}
