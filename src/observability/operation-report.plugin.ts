import type { ApolloServerPlugin } from '@apollo/server';
import type { Context } from '../graphql/context';
import { publicCode } from '../graphql/format-error';
import type { Metrics } from './metrics';

/** What the request log line and the metrics say about a GraphQL operation. */
export interface OperationReport {
  operationName?: string;
  operationType?: string;
  errorCodes: string[];
}

/** Known names only: a client-chosen label must not grow the metrics without bound. */
const MAX_OPERATION_NAMES = 200;

/** Operation names as metric labels: the first MAX_OPERATION_NAMES as they are, then "other". */
export function operationLabeler(): (name: string | undefined) => string {
  const seen = new Set<string>();
  return (name) => {
    if (!name) return 'anonymous';
    if (seen.has(name)) return name;
    if (seen.size >= MAX_OPERATION_NAMES) return 'other';
    seen.add(name);
    return name;
  };
}

/**
 * Fills the request's OperationReport (read by the HTTP log line) and records the operation's
 * duration by name and outcome, and its errors by code.
 */
export function operationReportPlugin(metrics: Metrics): ApolloServerPlugin<Context> {
  const label = operationLabeler();

  return {
    async requestDidStart({ contextValue }) {
      const started = process.hrtime.bigint();
      const report = contextValue.report;
      return {
        async didResolveOperation({ operationName, operation }) {
          report.operationName = operationName ?? undefined;
          report.operationType = operation?.operation;
        },
        async didEncounterErrors({ errors }) {
          for (const error of errors) report.errorCodes.push(publicCode(error));
        },
        async willSendResponse() {
          const seconds = Number(process.hrtime.bigint() - started) / 1e9;
          metrics.operationDuration.observe(
            {
              operation: label(report.operationName),
              type: report.operationType ?? 'unknown',
              outcome: report.errorCodes.length ? 'error' : 'ok',
            },
            seconds,
          );
          for (const code of report.errorCodes) metrics.errors.inc({ code });
        },
      };
    },
  };
}
