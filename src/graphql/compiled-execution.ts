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
  type ExecutionArgs,
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
 */
export function compilingExecutor(
  schema: GraphQLSchema,
  compileAfter: number,
  observer: { compiled(outcome: CompileOutcome): void; logger: AppLogger },
): GatewayExecutor {
  const runs = new LRUCache<string, { count: number }>({ max: MAX_COUNTED_DOCUMENTS });
  /** `{ none: true }`: tried, not compiled; that document stays with graphql-js. */
  const compiled = new LRUCache<string, CompiledQuery | { none: true }>({
    maxSize: MAX_COMPILED_SOURCE_TOTAL,
  });

  return async (requestContext) => {
    const { operation, operationName, request, context } = requestContext;
    if (compileAfter > 0 && operation.operation === OperationTypeNode.QUERY) {
      const key = `${requestContext.queryHash}:${operationName ?? ''}`;
      let query = compiled.get(key);
      if (!query) {
        let counter = runs.get(key);
        if (!counter) runs.set(key, (counter = { count: 0 }));
        counter.count += 1;
        if (counter.count >= compileAfter) {
          runs.delete(key);
          query = compile(requestContext.source, requestContext.document, operationName);
          compiled.set(key, query, { size: 'none' in query ? 1 : requestContext.source.length });
        }
      }
      if (query && !('none' in query)) {
        const result = (await query.query(
          undefined,
          context,
          request.variables ?? {},
        )) as ExecutionResult;
        // No data at all: the variables were refused before anything ran. graphql-js refuses
        // them again, in the words (and error shape) Apollo recognises as BAD_USER_INPUT.
        if (!('data' in result)) return execute(jsExecution(requestContext));
        return result.errors ? { ...result, errors: result.errors.map(asGraphQLError) } : result;
      }
    }
    return execute(jsExecution(requestContext));
  };

  /**
   * Checks Apollo's parsed document (reading it only), then compiles a parse of its own: graphql-
   * jit marks the AST it is given, and Apollo's is shared by every operation of the document.
   */
  function compile(source: string, shared: DocumentNode, operationName?: string | null) {
    const none = { none: true } as const;
    const unsafe = source.length > MAX_COMPILED_SOURCE ? 'too long' : notCompilable(shared);
    if (unsafe) {
      observer.compiled('skipped');
      observer.logger.debug({ operationName, reason: unsafe }, 'query not compiled');
      return none;
    }
    try {
      const query = compileQuery(schema, parse(source), operationName ?? undefined);
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

  function jsExecution(requestContext: Parameters<GatewayExecutor>[0]): ExecutionArgs {
    return {
      schema,
      document: requestContext.document,
      contextValue: requestContext.context,
      variableValues: requestContext.request.variables,
      operationName: requestContext.operationName,
    };
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
