import type { GatewayExecutor, GatewayInterface } from '@apollo/server-gateway-interface';
import {
  execute,
  GraphQLError,
  OperationTypeNode,
  type DocumentNode,
  type ExecutionArgs,
  type ExecutionResult,
  type GraphQLSchema,
} from 'graphql';
import { compileQuery, isCompiledQuery, type CompiledQuery } from 'graphql-jit';
import { LRUCache } from 'lru-cache';
import type { AppLogger } from '../logger';

/** How many documents' compiled forms are kept (Apollo's parse cache is bounded the same way). */
const MAX_COMPILED_DOCUMENTS = 1000;

/** A document seen so far: how often it ran, and its compiled form once it has one. */
interface SeenDocument {
  runs: number;
  /** null once compiling failed: that document stays with graphql-js. */
  compiled?: CompiledQuery | null;
}

/**
 * Executes queries as functions compiled for their document (graphql-jit), once a document has
 * run `compileAfter` times; the first runs, mutations and anything graphql-jit cannot compile go
 * through graphql-js as usual. The compiled form does what graphql-js re-derives on every run
 * (field collection, argument and variable coercion, completion by type) once, ahead of time:
 * W3's execution costs 60 % less CPU, W1's 20 % (bench/README.md). Waiting for a second run
 * keeps one-off documents (a Playground session, a scan) from paying the compile.
 *
 * Mutations stay with graphql-js: they are rare, and their serial execution is where a
 * difference in semantics would cost most.
 */
export function compilingExecutor(
  schema: GraphQLSchema,
  compileAfter: number,
  observer: { compiled(outcome: 'ok' | 'failed'): void; logger: AppLogger },
): GatewayExecutor {
  const seen = new LRUCache<string, SeenDocument>({ max: MAX_COMPILED_DOCUMENTS });

  return async (requestContext) => {
    const { document, operation, operationName, request, context } = requestContext;
    if (compileAfter > 0 && operation.operation === OperationTypeNode.QUERY) {
      const key = `${requestContext.queryHash}:${operationName ?? ''}`;
      let entry = seen.get(key);
      if (!entry) seen.set(key, (entry = { runs: 0 }));
      entry.runs += 1;
      if (entry.compiled === undefined && entry.runs >= compileAfter) {
        entry.compiled = compile(document, operationName);
        observer.compiled(entry.compiled ? 'ok' : 'failed');
      }
      if (entry.compiled) {
        const result = (await entry.compiled.query(
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

  function compile(document: DocumentNode, operationName?: string | null) {
    try {
      const compiled = compileQuery(schema, document, operationName ?? undefined);
      if (isCompiledQuery(compiled)) return compiled;
      observer.logger.warn({ operationName, errors: compiled.errors }, 'query not compiled');
    } catch (error) {
      observer.logger.warn({ operationName, err: error }, 'query not compiled');
    }
    return null;
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
