import { SpanKind, SpanStatusCode, trace, type Span, type Tracer } from '@opentelemetry/api';
import type { Context } from '../graphql/context';
import type { OperationConcern } from '../graphql/pipeline';
import { publicCode } from '../graphql/format-error';

/**
 * Which database target ran a session's statements (src/db/replicas/session-routing.ts), and
 * whether a consistency token sent it there. Without replicas, always the primary.
 */
export function sessionTarget(context: Context): { target: string; byToken: boolean } {
  const routing = context.routing;
  return routing
    ? { target: routing.target.name, byToken: routing.byToken }
    : { target: 'primary', byToken: false };
}

/**
 * A span per GraphQL operation, named as OTel's GraphQL conventions say (`query ProductPage`).
 * Only in the pipeline when TRACING is on: off, no span object is ever made.
 */
export class OperationTracing {
  private readonly spans = new WeakMap<Context, Span>();

  constructor(private readonly tracer: Tracer = trace.getTracer('catalog-graphql')) {}

  readonly concern: OperationConcern = {
    started: (context) => {
      if (this.spans.has(context)) return;
      const span = this.tracer.startSpan('GraphQL Operation', {
        kind: SpanKind.SERVER,
        attributes: { 'catalog.request_id': context.requestId },
      });
      this.spans.set(context, span);
    },
    resolved: ({ operation, operationName }, _request, context) => {
      const span = this.spans.get(context);
      if (!span) return undefined;
      const type = operation?.operation;
      // The name is the client's own identifier, never a literal of its document.
      if (type) span.setAttribute('graphql.operation.type', type);
      if (operationName) span.setAttribute('graphql.operation.name', operationName);
      if (type) span.updateName(operationName ? `${type} ${operationName}` : type);
      return undefined;
    },
    failed: (errors, _operationName, context) => {
      const span = this.spans.get(context);
      if (!span) return;
      const codes = errors.map((error) => publicCode(error));
      span.setAttribute('catalog.graphql.error_codes', codes);
      span.setStatus({ code: SpanStatusCode.ERROR, message: codes.join(',') });
    },
    responding: (_result, _cacheable, _headers, context) => {
      const span = this.spans.get(context);
      if (!span) return;
      this.spans.delete(context);
      // Known only now: a query is pinned to its target after it is resolved.
      const { target, byToken } = sessionTarget(context);
      span.setAttribute('catalog.db.target', target);
      span.setAttribute('catalog.db.target_by_token', byToken);
      span.end();
    },
  };
}
