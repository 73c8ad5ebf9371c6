import { AsyncLocalStorage } from 'node:async_hooks';
import type { MikroORM } from '@mikro-orm/postgresql';
import {
  context as otelContext,
  SpanKind,
  SpanStatusCode,
  trace,
  type Span,
  type Tracer,
} from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  BasicTracerProvider,
  BatchSpanProcessor,
  SimpleSpanProcessor,
  type SpanExporter,
} from '@opentelemetry/sdk-trace-base';
import { ATTR_SERVICE_NAME } from '@opentelemetry/semantic-conventions';
import type { GraphQLError } from 'graphql';
import type { Context } from '../../graphql/context';
import type { OperationConcern } from '../../graphql/pipeline';

/**
 * Where the session's statements go (src/db/replicas/session-routing.ts): without replicas
 * always the primary. Every SQL span reads it once per statement.
 */
export function sessionTarget(context: Context | undefined): {
  target: string;
  byToken: boolean;
} {
  const routing = context?.routing;
  return routing
    ? { target: routing.target.name, byToken: routing.byToken }
    : { target: 'primary', byToken: false };
}

const propagator = new W3CTraceContextPropagator();
const headerGetter = {
  keys: (carrier: Record<string, unknown>) => Object.keys(carrier),
  get: (carrier: Record<string, unknown>, key: string) => {
    const value = carrier[key];
    return typeof value === 'string' || Array.isArray(value)
      ? (value as string | string[])
      : undefined;
  },
};

interface Traced {
  span: Span;
  context: Context;
}

/**
 * OpenTelemetry for one server: a span per GraphQL operation (both front doors, through the
 * pipeline's concern) and a child per SQL statement. Made only when tracing is configured: off,
 * no object of this module exists and nothing per request is done (docs/operations.md#tracing).
 */
export class Tracing {
  private readonly tracer: Tracer;
  // Keyed by the operation's report: Apollo works on a copy of the context, which shares it.
  private readonly spans = new WeakMap<object, Span>();
  /** The operation a statement belongs to: set once per request, read by the statement hook. */
  private readonly current = new AsyncLocalStorage<Traced>();

  constructor(private readonly provider: BasicTracerProvider) {
    this.tracer = provider.getTracer('catalog-graphql');
  }

  /** The operation's span starts when its context is made; joins an incoming `traceparent`. */
  attach(context: Context, headers: Record<string, unknown>): void {
    if (this.spans.has(context.report)) return;
    const parent = propagator.extract(otelContext.active(), headers, headerGetter);
    const span = this.tracer.startSpan(
      'graphql',
      { kind: SpanKind.SERVER, attributes: { 'request.id': context.requestId } },
      parent,
    );
    this.spans.set(context.report, span);
  }

  /** Runs the operation's execution with its span current: its statements become children. */
  readonly within = <T>(context: Context, execute: () => T): T => {
    const span = this.spans.get(context.report);
    return span ? this.current.run({ span, context }, execute) : execute();
  };

  readonly concern: OperationConcern = {
    resolved: (operation, _request, context) => {
      const span = this.spans.get(context.report);
      if (!span) return undefined;
      const type = operation.operation?.operation;
      const name = operation.operationName ?? operation.operation?.name?.value;
      if (type) span.setAttribute('graphql.operation.type', type);
      if (name) span.setAttribute('graphql.operation.name', name);
      span.updateName(type ? (name ? `${type} ${name}` : type) : 'GraphQL Operation');
      return undefined;
    },
    failed: (errors, _name, context) => this.failed(errors, context),
    responding: (result, _cacheable, _headers, context) => {
      const span = this.spans.get(context.report);
      if (!span) return;
      if (result?.errors?.length) {
        const codes = codesOf(result.errors.map((e) => e.extensions?.code));
        if (codes.length) span.setAttribute('graphql.error.codes', codes);
        span.setStatus({ code: SpanStatusCode.ERROR });
      }
      span.end();
      this.spans.delete(context.report);
    },
  };

  private failed(errors: readonly GraphQLError[], context: Context): void {
    const span = this.spans.get(context.report);
    if (!span) return;
    const codes = codesOf(errors.map((e) => e.extensions?.code));
    if (codes.length) span.setAttribute('graphql.error.codes', codes);
    span.setStatus({ code: SpanStatusCode.ERROR, message: codes.join(',') || 'error' });
  }

  /**
   * A child span per statement of the pool, under the operation that ran it. Its text never
   * goes in: the read path inlines values into SQL, so only the leading keyword is recorded.
   */
  observe(orm: MikroORM): void {
    const knex = orm.em.getConnection().getKnex();
    const open = new Map<string, Span>();
    knex.on('query', (query: { __knexQueryUid?: string; sql?: string }) => {
      const traced = this.current.getStore();
      if (!traced || query.__knexQueryUid === undefined) return;
      const { target, byToken } = sessionTarget(traced.context);
      const operation = /^\s*([a-z]+)/i.exec(query.sql ?? '')?.[1]?.toUpperCase() ?? 'UNKNOWN';
      const parent = trace.setSpan(otelContext.active(), traced.span);
      const span = this.tracer.startSpan(
        operation,
        {
          kind: SpanKind.CLIENT,
          attributes: {
            'db.system.name': 'postgresql',
            'db.operation.name': operation,
            'db.target': target,
            'db.target.by_token': byToken,
          },
        },
        parent,
      );
      open.set(query.__knexQueryUid, span);
    });
    const end = (query: { __knexQueryUid?: string }, error?: unknown) => {
      const uid = query.__knexQueryUid;
      const span = uid === undefined ? undefined : open.get(uid);
      if (!span) return;
      open.delete(uid!);
      if (error !== undefined) {
        const code = (error as { code?: unknown }).code;
        span.setAttribute('error.type', typeof code === 'string' ? code : 'error');
        span.setStatus({ code: SpanStatusCode.ERROR });
      }
      span.end();
    };
    knex.on('query-response', (_rows: unknown, query: { __knexQueryUid?: string }) => end(query));
    knex.on('query-error', (error: unknown, query: { __knexQueryUid?: string }) =>
      end(query, error ?? 'error'),
    );
  }

  /** Flushes what is still buffered, bounded: called after the server has drained. */
  async shutdown(timeoutMs: number): Promise<void> {
    await Promise.race([
      this.provider.shutdown(),
      new Promise((resolve) => setTimeout(resolve, timeoutMs).unref()),
    ]);
  }
}

function codesOf(codes: readonly unknown[]): string[] {
  return [...new Set(codes.filter((c): c is string => typeof c === 'string'))];
}

export interface TracingOptions {
  serviceName: string;
  /** OTLP/HTTP traces endpoint (…/v1/traces); batched. */
  endpoint?: string;
  /** Tests: an exporter of their own (the in-memory one), each span exported as it ends. */
  exporter?: SpanExporter;
}

export function createTracing(options: TracingOptions): Tracing {
  const processor = options.exporter
    ? new SimpleSpanProcessor(options.exporter)
    : new BatchSpanProcessor(new OTLPTraceExporter({ url: options.endpoint }));
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ [ATTR_SERVICE_NAME]: options.serviceName }),
    spanProcessors: [processor],
  });
  return new Tracing(provider);
}
