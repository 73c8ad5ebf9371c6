import type { CompiledOutcome } from '../graphql/compiled-execution';
import type { OperationConcern } from '../graphql/pipeline';
import { publicCode } from '../graphql/format-error';
import type { Metrics } from './metrics';

/** What the request log line and the metrics say about a GraphQL operation. */
export interface OperationReport {
  operationName?: string;
  operationType?: string;
  errorCodes: string[];
  /**
   * process.hrtime.bigint() when the operation began (after its context): set by the fast path
   * before a compiled run, so a run it hands to Apollo is timed from there, not from Apollo's
   * start.
   */
  started?: bigint;
  /**
   * A compiled run that did not complete cleanly, waiting for Apollo's execution step to report
   * it (src/graphql/pipeline.ts): on this object, which Apollo's copy of the context shares.
   */
  handedOver?: CompiledOutcome;
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
 * duration by name and outcome, and its errors by code: a concern of the operation pipeline.
 */
export class OperationReporter {
  private readonly label = operationLabeler();

  constructor(private readonly metrics: Metrics) {}

  resolved(report: OperationReport, operationName: string | null, type: string | undefined): void {
    report.operationName = operationName ?? undefined;
    report.operationType = type;
  }

  /** The operation began now, unless it already had (the fast path ran it first). */
  started(report: OperationReport): void {
    report.started ??= process.hrtime.bigint();
  }

  /** The operation is answered. */
  finished(report: OperationReport): void {
    const now = process.hrtime.bigint();
    const seconds = Number(now - (report.started ?? now)) / 1e9;
    this.metrics.operationDuration.observe(
      {
        operation: this.label(report.operationName),
        type: report.operationType ?? 'unknown',
        outcome: report.errorCodes.length ? 'error' : 'ok',
      },
      seconds,
    );
    for (const code of report.errorCodes) this.metrics.errors.inc({ code });
  }

  readonly concern: OperationConcern = {
    started: (context) => this.started(context.report),
    resolved: ({ operationName, operation }, _request, context) => {
      this.resolved(context.report, operationName, operation?.operation);
      return undefined;
    },
    failed: (errors, _operationName, context) => {
      for (const error of errors) context.report.errorCodes.push(publicCode(error));
    },
    responding: (_result, _cacheable, _headers, context) => this.finished(context.report),
  };
}
