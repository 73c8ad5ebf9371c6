import type { FastifyReply, FastifyRequest } from 'fastify';
import type { FormattedExecutionResult } from 'graphql';
import Negotiator from 'negotiator';
import type { CompiledOperation } from './compiled-execution';
import type { Context } from './context';
import type { OperationPipeline } from './pipeline';

export interface FastPathParts {
  /** The same pipeline Apollo runs through its adapter (pipeline.ts): every concern, once. */
  pipeline: OperationPipeline;
  /**
   * The request's context, made once per request: Apollo gets the same one if it takes over.
   * `light`: its operation takes a turn in the light lane (operation-gate.ts).
   */
  context(request: FastifyRequest, light: boolean): Promise<Context>;
  /** Whether a compiled operation with these variables is light (LIGHT_OPERATION_COST). */
  light(compiled: CompiledOperation, variables: RequestedOperation['variables']): boolean;
}

/** What a POST body asks for, as Apollo reads it: a document by its text, or by its hash. */
interface RequestedOperation {
  document: { text: string } | { hash: string };
  operationName?: string | null;
  variables?: Record<string, unknown> | null;
}

const JSON_TYPE = 'application/json; charset=utf-8';
const GRAPHQL_RESPONSE_TYPE = 'application/graphql-response+json; charset=utf-8';
/** Apollo's choices for a single result, in its order (the third is for subscription callbacks). */
const SINGLE_RESULT_TYPES = [
  JSON_TYPE,
  GRAPHQL_RESPONSE_TYPE,
  'application/json; callbackSpec=1.0; charset=utf-8',
];
/** Distinct `accept` headers whose choice is remembered, until their text fills this. */
const REMEMBERED_ACCEPTS_CHARS = 32 * 1024;

/**
 * Queries Apollo has already parsed, validated and compiled (src/graphql/compiled-execution.ts)
 * are answered here, in the route, without Apollo's request pipeline, whose per-request work
 * cost more than the plugins' own (docs/performance.md#the-fast-path). It runs the same
 * operation pipeline as Apollo's adapter (pipeline.ts), so every concern applies to both. The
 * answer is what Apollo would have sent, byte for byte (fast-path.int.test.ts holds the two
 * side by side).
 *
 * Anything else is Apollo's, as before: GET, a document not compiled (yet), a persisted query
 * being registered, an `accept` Apollo would refuse or answer otherwise, a context that fails
 * (not ready, a bad token: Apollo reports the same failure), an operation over the cost limit,
 * and a compiled run with errors (handed over as it ran, not run twice). While the server
 * stops, everything is Apollo's, and with Apollo's usage reporting on (APOLLO_KEY) or plugins
 * added from outside, there is no fast path: they must see every operation.
 *
 * Where the two still differ, the fast path answers and Apollo would not: a persisted query
 * whose text Apollo's own cache has let go (Apollo asks the client to send it again; the
 * compiled operation was made from that very text). A request without a usable Host header
 * reaches neither: the route refuses it first (src/http/request-guards.ts).
 */
export class GraphQLFastPath {
  private open = true;
  private remembered = 0;
  private readonly responseTypes = new Map<string, string | undefined>();

  constructor(private readonly parts: FastPathParts) {}

  /** From now on Apollo answers every request (the server is stopping). */
  close(): void {
    this.open = false;
  }

  /** The response body when the operation was answered here; undefined when it is Apollo's. */
  async answer(request: FastifyRequest, reply: FastifyReply): Promise<string | undefined> {
    if (!this.open || request.method !== 'POST') return;
    const requested = requestedOperation(request.body);
    if (!requested) return;
    const { pipeline } = this.parts;
    const compiled = pipeline.compiledExecution.compiledOperation(
      requested.document,
      requested.operationName,
    );
    if (!compiled) return;
    const contentType = this.responseType(request.headers.accept);
    if (!contentType) return;
    let context: Context;
    try {
      context = await this.parts.context(request, this.parts.light(compiled, requested.variables));
    } catch {
      return; // Apollo's context is this same failure, which it reports
    }
    pipeline.begin(context); // as Apollo's adapter does when the request starts
    // Refused (over the cost limit): Apollo refuses it again, and reports it.
    if (pipeline.resolve(compiled, requested, context)) return;
    // With replicas, pinned to one target before its first read, as Apollo's path does.
    const routed = context.route(compiled.operation.operation);
    if (routed) await routed;
    const result: FormattedExecutionResult | undefined = await pipeline.executeCompiled(
      compiled,
      context,
      requested.variables,
    );
    // Handed over (errors): Apollo reports the operation, from what it resolves itself.
    if (!result) return;
    const settled = context.settle(); // with replicas, as Apollo's path does
    if (settled) await settled;
    pipeline.respond(result, true, reply, context);
    // After the concerns' headers (cache-control), in the order Apollo sets them.
    void reply.header('content-type', contentType);
    // Apollo's serialisation: errors (none here), data, extensions, then a newline.
    return `${JSON.stringify({ data: result.data, extensions: result.extensions })}\n`;
  }

  /** Apollo's content type for a single result, for this `accept`; none when it is not plain. */
  private responseType(accept: string | undefined): string | undefined {
    if (!accept) return JSON_TYPE;
    if (this.responseTypes.has(accept)) return this.responseTypes.get(accept);
    const preferred = new Negotiator({ headers: { accept } }).mediaType(SINGLE_RESULT_TYPES);
    const type =
      preferred === JSON_TYPE || preferred === GRAPHQL_RESPONSE_TYPE ? preferred : undefined;
    // Clients send a handful of distinct headers: the first ones are kept, the rest negotiated.
    if (this.remembered + accept.length <= REMEMBERED_ACCEPTS_CHARS) {
      this.remembered += accept.length;
      this.responseTypes.set(accept, type);
    }
    return type;
  }
}

/**
 * Apollo's reading of a POST body (runHttpQuery, processGraphQLRequest), narrowed to the bodies
 * the fast path takes: an operation by its text, or a persisted query by its hash alone (Apollo
 * Client's automatic persisted queries). Other extensions are ignored, as Apollo ignores them
 * (Apollo Client sends `clientLibrary`); a persisted query that also sends its text is being
 * registered, which is Apollo's.
 */
function requestedOperation(body: unknown): RequestedOperation | undefined {
  if (!isRecord(body)) return;
  const { query, operationName, variables, extensions } = body;
  if (operationName != null && typeof operationName !== 'string') return;
  if (variables != null && !isRecord(variables)) return;
  if (extensions != null && !isRecord(extensions)) return;
  const persisted = extensions?.persistedQuery;
  if (!persisted) {
    return typeof query === 'string'
      ? { document: { text: query }, operationName, variables }
      : undefined;
  }
  if (query !== undefined || !isRecord(persisted) || persisted.version !== 1) return;
  const hash = persisted.sha256Hash;
  return typeof hash === 'string' ? { document: { hash }, operationName, variables } : undefined;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
