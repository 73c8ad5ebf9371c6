import type { ApolloServerPlugin } from '@apollo/server';
import type { MikroORM } from '@mikro-orm/postgresql';
import type { FastifyInstance } from 'fastify';
import { AsyncLocalStorage } from 'node:async_hooks';
import { Histogram, type Registry } from 'prom-client';
import type { Context } from '../graphql/context';
import { operationLabeler } from './operation-report.plugin';
import { observeStatements } from './statement-events';

/** The SQL one request ran: statements, and their summed time. */
export interface SqlSpend {
  statements: number;
  ms: number;
}

/**
 * Attributes every SQL statement to the request that caused it, through AsyncLocalStorage: the
 * request's hooks, resolvers and DataLoader batches all run in its async context. Development
 * responses carry the spend in `extensions.sql`; every environment records it as a metric, so
 * a query that suddenly costs more statements shows before users notice.
 */
export function registerSqlBudget(
  http: FastifyInstance,
  orm: MikroORM,
  registry: Registry,
  options: { exposeInResponses: boolean },
): ApolloServerPlugin<Context> {
  const current = new AsyncLocalStorage<SqlSpend>();
  http.addHook('onRequest', (_request, _reply, done) => {
    current.run({ statements: 0, ms: 0 }, done);
  });

  observeStatements(orm, {
    started: () => {
      const spend = current.getStore();
      if (spend) spend.statements += 1;
    },
    finished: (seconds) => {
      const spend = current.getStore();
      if (spend) spend.ms += seconds * 1000;
    },
  });

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
          const spend = current.getStore();
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
