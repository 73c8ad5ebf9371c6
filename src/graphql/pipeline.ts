import { HeaderMap, type ApolloServerPlugin } from '@apollo/server';
import type { GatewayExecutor } from '@apollo/server-gateway-interface';
import {
  execute,
  GraphQLError,
  OperationTypeNode,
  type DocumentNode,
  type ExecutionResult,
  type FormattedExecutionResult,
  type GraphQLSchema,
  type OperationDefinitionNode,
} from 'graphql';
import type { CompiledExecution, CompiledOperation, CompiledOutcome } from './compiled-execution';
import type { Context } from './context';

/** The operation a request resolved to, as Apollo and the fast path both know it. */
export interface ResolvedOperation {
  document: DocumentNode;
  /** Undefined when no operation has the requested name (execution refuses it). */
  operation?: OperationDefinitionNode | undefined;
  /** As resolved (the request may have named none). */
  operationName: string | null;
}

/** What the request gave besides its document. */
export interface OperationRequest {
  operationName?: string | null;
  variables?: Record<string, unknown> | null;
}

/** Where a concern sets a response header: Fastify's reply, or Apollo's response. */
export interface ResponseHeaders {
  header(name: string, value: string): unknown;
}

/**
 * One per-operation concern (cost, report, SQL budget, cache policy, error logging), written
 * once: Apollo's adapter and the fast path both run every concern of the pipeline, so none can
 * be added to one front door only. Hooks are synchronous: the fast path awaits none of them.
 */
export interface OperationConcern {
  /** The operation began (its context exists). */
  started?(context: Context): void;
  /** The operation is resolved: a returned error refuses it before anything runs. */
  resolved?(
    operation: ResolvedOperation,
    request: OperationRequest,
    context: Context,
  ): GraphQLError | undefined;
  /** Errors the client will see (formatted after). Only Apollo's: the fast path has none. */
  failed?(
    errors: readonly GraphQLError[],
    operationName: string | null | undefined,
    context: Context,
  ): void;
  /**
   * The answer is about to be sent: `result` is its single result (the concern may add
   * extensions), `cacheable` whether it is a query answered without errors.
   */
  responding?(
    result: FormattedExecutionResult | undefined,
    cacheable: boolean,
    headers: ResponseHeaders,
    context: Context,
  ): void;
}

/**
 * Apollo plugins that act on the document only (parse and validation limits, drain, landing
 * page, Apollo's cache-control hints turned off): the fast path needn't repeat them, because it
 * only serves documents Apollo already parsed and validated. Any other Apollo plugin must be a
 * concern of the pipeline (pipeline.int.test.ts holds the server's list to this).
 */
const documentLevel = new WeakSet<object>();

/** Marks the plugins of the documented allow-list above (and only those). */
export function documentLevelPlugins<T extends object>(plugins: T[]): T[] {
  for (const plugin of plugins) documentLevel.add(plugin);
  return plugins;
}

/** Whether an Apollo plugin may be in the server's list: the pipeline's adapter, or allowed. */
export function isAllowedApolloPlugin(plugin: object): boolean {
  return documentLevel.has(plugin) || adapters.has(plugin);
}

const adapters = new WeakSet<object>();

/**
 * One pipeline per server: its concerns, and the one execute step that chooses compiled
 * (graphql-jit, once a document has run GRAPHQL_COMPILE_AFTER times) or graphql-js. Apollo sees
 * it through `apolloPlugin` and `executor` (its gateway); the fast path (fast-path.ts) calls
 * `resolve`, `begin`, `executeCompiled` and `respond` itself. A compiled run that did not
 * complete cleanly is carried to Apollo's execution step on the operation's own state
 * (`context.report.handedOver`), run once, and reported and formatted by Apollo as any other.
 */
export class OperationPipeline {
  constructor(
    private readonly schema: GraphQLSchema,
    readonly compiledExecution: CompiledExecution,
    private readonly concerns: readonly OperationConcern[],
    /** Wraps each execution (tracing's span made current); none when tracing is off. */
    private readonly within?: <T>(context: Context, execute: () => T) => T,
  ) {
    adapters.add(this.apolloPlugin);
  }

  begin(context: Context): void {
    for (const concern of this.concerns) concern.started?.(context);
  }

  /** Every concern sees the operation; the first refusal, if any, stops it. */
  resolve(
    operation: ResolvedOperation,
    request: OperationRequest,
    context: Context,
  ): GraphQLError | undefined {
    let refusal: GraphQLError | undefined;
    for (const concern of this.concerns) {
      // Every concern runs, refused or not (the report names a refused operation too).
      const refused = concern.resolved?.(operation, request, context);
      refusal ??= refused;
    }
    return refusal;
  }

  respond(
    result: FormattedExecutionResult | undefined,
    cacheable: boolean,
    headers: ResponseHeaders,
    context: Context,
  ): void {
    for (const concern of this.concerns) concern.responding?.(result, cacheable, headers, context);
  }

  /**
   * Runs a compiled query: its result when it completed without errors; otherwise undefined,
   * and the outcome waits on the operation's state for `executor` (never run twice).
   */
  async executeCompiled(
    compiled: CompiledOperation,
    context: Context,
    variables: Record<string, unknown> | null | undefined,
  ): Promise<ExecutionResult | undefined> {
    // Off (no tracing), no closure: the one check is all it costs.
    const outcome = await (this.within
      ? this.within(context, () => this.compiledExecution.run(compiled, context, variables))
      : this.compiledExecution.run(compiled, context, variables));
    if ('data' in outcome && !outcome.errors) return outcome;
    context.report.handedOver = outcome;
    return undefined;
  }

  /** Apollo's execution step (through fixedSchemaGateway): graphql-js, or a handed-over run. */
  readonly executor: GatewayExecutor = async (requestContext) => {
    const report = (requestContext.context as Partial<Context>).report;
    const handedOver = report?.handedOver;
    if (report && handedOver) {
      report.handedOver = undefined;
      const reported = reportable(handedOver);
      if (reported) return reported;
      // No data at all: the variables were refused before anything ran. graphql-js refuses
      // them again (below), in the words and error shape Apollo recognises as BAD_USER_INPUT.
    }
    const run = () =>
      execute({
        schema: this.schema,
        document: requestContext.document,
        contextValue: requestContext.context,
        variableValues: requestContext.request.variables,
        // As requested: the resolved name is null when no operation has the requested one, and
        // graphql-js would then run the document's only operation instead of refusing.
        operationName: requestContext.request.operationName,
      });
    const context = requestContext.context as Context;
    return this.within && report ? this.within(context, run) : run();
  };

  /** Apollo's side of the pipeline: its one plugin of ours. */
  readonly apolloPlugin: ApolloServerPlugin<Context> = {
    requestDidStart: async ({ contextValue }) => {
      this.begin(contextValue);
      return {
        didResolveOperation: async (requestContext) => {
          const refusal = this.resolve(requestContext, requestContext.request, contextValue);
          if (refusal) throw refusal;
          // With replicas, a query's reads are pinned to one target before the first of them.
          const routed = contextValue.route(requestContext.operation?.operation);
          if (routed) await routed;
        },
        // A compiled query answered without errors skips Apollo's execution step.
        responseForOperation: async (requestContext) => {
          // The fast path ran it already, and hands over what did not complete.
          if (contextValue.report?.handedOver) return null;
          const compiled = this.compiledExecution.compiledFor(requestContext);
          if (!compiled) return null;
          const result = await this.executeCompiled(
            compiled,
            contextValue,
            requestContext.request.variables,
          );
          if (!result) return null;
          return {
            http: { status: undefined, headers: new HeaderMap() },
            body: { kind: 'single', singleResult: result },
          };
        },
        didEncounterErrors: async ({ errors, operationName }) => {
          for (const concern of this.concerns)
            concern.failed?.(errors, operationName, contextValue);
        },
        willSendResponse: async ({ response, operation }) => {
          // With replicas: what a replica read's answer vouches for, read after its reads.
          const settled = contextValue.settle();
          if (settled) await settled;
          const result = response.body.kind === 'single' ? response.body.singleResult : undefined;
          const cacheable =
            operation?.operation === OperationTypeNode.QUERY && !!result && !result.errors?.length;
          const headers = response.http.headers;
          this.respond(
            result,
            cacheable,
            { header: (name, value) => headers.set(name, value) },
            contextValue,
          );
        },
      };
    },
  };
}

/** A handed-over compiled outcome as Apollo's execution step returns or throws it. */
function reportable(outcome: CompiledOutcome): ExecutionResult | undefined {
  if ('thrown' in outcome) throw outcome.thrown;
  if ('data' in outcome) return { ...outcome, errors: outcome.errors?.map(asGraphQLError) };
  return undefined;
}

/**
 * graphql-jit reports errors with an error class of its own: as graphql-js's, with the resolver's
 * error as `originalError`, they are what Apollo and formatError recognise (a database that
 * is down is SERVICE_UNAVAILABLE, a typed error keeps its code).
 */
function asGraphQLError(error: GraphQLError): GraphQLError {
  // (Its class passes `instanceof GraphQLError`, but lacks the `extensions` Apollo reads.)
  const { message, path, locations, originalError, extensions } = error;
  const converted = new GraphQLError(message, { path, originalError, extensions });
  if (locations) {
    Object.defineProperty(converted, 'locations', { value: locations, enumerable: true });
  }
  return converted;
}
