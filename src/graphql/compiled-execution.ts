import {
  HeaderMap,
  type ApolloServerPlugin,
  type GraphQLRequestContextResponseForOperation,
} from '@apollo/server';
import type { GatewayExecutor, GatewayInterface } from '@apollo/server-gateway-interface';
import {
  BREAK,
  execute,
  GraphQLError,
  OperationTypeNode,
  parse,
  visit,
  type ASTNode,
  type DocumentNode,
  type ExecutionResult,
  type GraphQLSchema,
} from 'graphql';
import { compileQuery, isCompiledQuery, type CompiledQuery } from 'graphql-jit';
import { LRUCache } from 'lru-cache';
import type { AppLogger } from '../logger';

/** Documents whose runs are counted (a counter each, nothing compiled yet). */
const MAX_COUNTED_DOCUMENTS = 1000;
/**
 * Compiled forms kept, by their documents' length: a compiled document holds ~300 bytes per
 * character of its source, so this keeps them to tens of MB, however many distinct documents
 * clients send. Longer documents than MAX_COMPILED_SOURCE are never compiled.
 */
const MAX_COMPILED_SOURCE_TOTAL = 200_000;
const MAX_COMPILED_SOURCE = 8_000;

export type CompileOutcome = 'ok' | 'failed' | 'skipped';

/**
 * Executes queries as functions compiled for their document (graphql-jit), once a document has
 * run `compileAfter` times; the first runs, mutations and documents not compiled (below) go
 * through graphql-js as usual. The compiled form does what graphql-js re-derives on every run
 * (field collection, argument and variable coercion, completion by type) once, ahead of time:
 * W3's execution costs 60 % less CPU, W2's 35 % (bench/README.md). Waiting for a second run
 * keeps one-off documents (a Playground session, a scan) from paying the compile.
 *
 * Mutations stay with graphql-js: they are rare, and their serial execution is where a
 * difference in semantics would cost most.
 *
 * It is plugged into Apollo twice. `plugin` runs a compiled query in Apollo's
 * `responseForOperation` hook and, when it completed without errors, that is the answer:
 * Apollo skips its own execution step (the gateway's request context, whose accessors kept
 * every finished request reachable to the young-generation collector, the execution hooks
 * nobody here uses, the incremental-delivery negotiation; bench/README.md). Everything else
 * reaches `executor`, which Apollo runs through `fixedSchemaGateway`: graphql-js, or the
 * outcome of a compiled run that did not complete cleanly (errors, or a throw), handed over as
 * it was — never run twice — so that Apollo reports and formats it as any other
 * (didEncounterErrors, formatError, the HTTP status).
 */
export class CompiledExecution {
  /** Documents' runs so far, until compiled. */
  private readonly runs = new LRUCache<string, { count: number }>({ max: MAX_COUNTED_DOCUMENTS });
  /** `{ none: true }`: tried, not compiled; that document stays with graphql-js. */
  private readonly compiled = new LRUCache<string, CompiledQuery | { none: true }>({
    maxSize: MAX_COMPILED_SOURCE_TOTAL,
  });
  /** Compiled runs that did not complete cleanly, by the operation's context, for `executor`. */
  private readonly unfinished = new WeakMap<object, ExecutionResult | { thrown: unknown }>();

  constructor(
    private readonly schema: GraphQLSchema,
    private readonly compileAfter: number,
    private readonly observer: { compiled(outcome: CompileOutcome): void; logger: AppLogger },
  ) {}

  readonly plugin: ApolloServerPlugin<object> = {
    requestDidStart: async () => ({
      responseForOperation: async (requestContext) => {
        const query = this.compiledFor(requestContext);
        if (!query) return null;
        const { contextValue, request } = requestContext;
        let result: ExecutionResult;
        try {
          result = await query.query(undefined, contextValue, request.variables ?? {});
        } catch (thrown) {
          // Thrown, not reported: graphql-jit reads a field without a resolver unguarded, so a
          // value that throws when read fails the whole run (graphql-js would make it a field
          // error). Apollo's execution step rethrows it from `executor` and reports it as any
          // executor's failure; the operation does not run again.
          this.unfinished.set(contextValue, { thrown });
          return null;
        }
        if ('data' in result && !result.errors) {
          return {
            http: { status: undefined, headers: new HeaderMap() },
            body: { kind: 'single', singleResult: result },
          };
        }
        this.unfinished.set(contextValue, result);
        return null;
      },
    }),
  };

  readonly executor: GatewayExecutor = async (requestContext) => {
    const compiledRun = this.unfinished.get(requestContext.context);
    if (compiledRun) {
      this.unfinished.delete(requestContext.context);
      if ('thrown' in compiledRun) throw compiledRun.thrown;
      if ('data' in compiledRun) {
        return { ...compiledRun, errors: compiledRun.errors?.map(asGraphQLError) };
      }
      // No data at all: the variables were refused before anything ran. graphql-js refuses
      // them again (below), in the words and error shape Apollo recognises as BAD_USER_INPUT.
    }
    return execute({
      schema: this.schema,
      document: requestContext.document,
      contextValue: requestContext.context,
      variableValues: requestContext.request.variables,
      operationName: requestContext.operationName,
    });
  };

  /** The document's compiled query, once it has run often enough to be compiled; else none. */
  private compiledFor(
    requestContext: GraphQLRequestContextResponseForOperation<object>,
  ): CompiledQuery | undefined {
    const { operation, operationName, queryHash, source, document } = requestContext;
    if (this.compileAfter <= 0 || operation.operation !== OperationTypeNode.QUERY) return;
    const key = `${queryHash}:${operationName ?? ''}`;
    let query = this.compiled.get(key);
    if (!query) {
      let counter = this.runs.get(key);
      if (!counter) this.runs.set(key, (counter = { count: 0 }));
      counter.count += 1;
      if (counter.count < this.compileAfter) return;
      this.runs.delete(key);
      query = this.compile(source, document, operationName);
      this.compiled.set(key, query, { size: 'none' in query ? 1 : source.length });
    }
    return 'none' in query ? undefined : query;
  }

  /**
   * Checks Apollo's parsed document (reading it only), then compiles a parse of its own: graphql-
   * jit marks the AST it is given, and Apollo's is shared by every operation of the document.
   */
  private compile(source: string, shared: DocumentNode, operationName: string | null) {
    const none = { none: true } as const;
    const unsafe = source.length > MAX_COMPILED_SOURCE ? 'too long' : notCompilable(shared);
    const { observer } = this;
    if (unsafe) {
      observer.compiled('skipped');
      observer.logger.debug({ operationName, reason: unsafe }, 'query not compiled');
      return none;
    }
    try {
      const query = compileQuery(this.schema, parse(source), operationName ?? undefined);
      if (isCompiledQuery(query)) {
        observer.compiled('ok');
        return query;
      }
      observer.logger.warn({ operationName, errors: query.errors }, 'query not compiled');
    } catch (error) {
      observer.logger.warn({ operationName, err: error }, 'query not compiled');
    }
    observer.compiled('failed');
    return none;
  }
}

/**
 * Why graphql-jit must not compile a document, if it must not. It writes literal values into
 * the code it generates, and graphql-jit 0.8.9 turns a string literal holding one of its
 * internal markers into code: a document with a string literal anywhere (an argument, a
 * default value) runs on graphql-js, so nothing a client wrote but names and numbers reaches
 * generated code (clients pass strings as variables, which are data at run time). It also
 * fills a variable nested in an input-object or list literal with null, overriding the
 * field's default, where graphql-js leaves the field out: those documents stay too.
 */
export function notCompilable(document: DocumentNode): string | undefined {
  let reason: string | undefined;
  const inLiteral: ASTNode[] = [];
  visit(document, {
    StringValue() {
      reason = 'a string literal';
      return BREAK;
    },
    ObjectValue: { enter: (node) => void inLiteral.push(node), leave: () => void inLiteral.pop() },
    ListValue: { enter: (node) => void inLiteral.push(node), leave: () => void inLiteral.pop() },
    Variable() {
      if (inLiteral.length === 0) return undefined;
      reason = 'a variable inside a literal';
      return BREAK;
    },
  });
  return reason;
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

/**
 * Apollo Server's way to take over execution is a gateway: one that serves a fixed schema and
 * runs operations with `executor`. Parsing, validation, plugins and error formatting stay
 * Apollo's.
 */
export function fixedSchemaGateway(
  schema: GraphQLSchema,
  executor: GatewayExecutor,
): GatewayInterface {
  return {
    onSchemaLoadOrUpdate(callback) {
      callback({ apiSchema: schema, coreSupergraphSdl: '' });
      return () => {};
    },
    load: async () => ({ executor }),
    stop: async () => {},
  };
}
