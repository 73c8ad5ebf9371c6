import type { GraphQLRequestContextResponseForOperation } from '@apollo/server';
import type { GatewayExecutor, GatewayInterface } from '@apollo/server-gateway-interface';
import {
  BREAK,
  execute,
  Kind,
  OperationTypeNode,
  parse,
  visit,
  type ASTNode,
  type DocumentNode,
  type ExecutionResult,
  type GraphQLSchema,
  type OperationDefinitionNode,
} from 'graphql';
import { compileQuery, isCompiledQuery, type CompiledQuery } from 'graphql-jit';
import { LRUCache } from 'lru-cache';
import { createHash } from 'node:crypto';
import type { AppLogger } from '../logger';
import { compiledBytes } from './document-caches';
import { compareOutcomes, type ShadowMismatch } from './shadow-execution';

/**
 * Run counters of documents not compiled yet: a key (a hash) and a number each, so bounding the
 * bytes bounds the count (~10,000).
 */
const COUNTED_RUNS_BYTES = 2 * 1024 * 1024;
/** Longer documents are never compiled: they are one-offs, and their compiled form is large. */
const MAX_COMPILED_SOURCE = 8_000;

export type CompileOutcome = 'ok' | 'failed' | 'skipped';

/** A query compiled for one document and operation, with what Apollo made of the document. */
export interface CompiledOperation {
  query: CompiledQuery;
  /** Apollo's parsed document (read only: it is shared by every operation of the document). */
  document: DocumentNode;
  operation: OperationDefinitionNode;
  /** The operation's name, as Apollo resolved it (the request may have named none). */
  operationName: string | null;
}

/** A compiled run's outcome: a result (with or without errors), or what it threw. */
export type CompiledOutcome = ExecutionResult | { thrown: unknown };

/**
 * Executes queries as functions compiled for their document (graphql-jit), once a document has
 * run `compileAfter` times; the first runs, mutations and documents not compiled (below) go
 * through graphql-js as usual. The compiled form does once, ahead of time, what graphql-js
 * re-derives on every run (docs/performance.md#compiled-execution). Waiting for a second run
 * keeps one-off documents (a Playground session, a scan) from paying the compile.
 *
 * Mutations stay with graphql-js: they are rare, and their serial execution is where a
 * difference in semantics would cost most.
 *
 * The operation pipeline (pipeline.ts) is the one place that chooses compiled or graphql-js,
 * for Apollo and for the fast path, which finds a compiled query by its text (or its hash)
 * before Apollo is involved at all (compiledOperation).
 */
export class CompiledExecution {
  /** Documents' runs so far, until compiled. */
  private readonly runs = new LRUCache<string, { count: number }>({
    maxSize: COUNTED_RUNS_BYTES,
    sizeCalculation: (_, key) => 2 * key.length + 64,
  });
  /**
   * By the operation's name as requested and the SHA-256 of the document's text (the fast path
   * looks them up before anything is parsed), sized in bytes as measured (document-caches.ts).
   * `{ none: true }`: tried, not compiled; that document stays with graphql-js.
   */
  private readonly compiled: LRUCache<string, CompiledOperation | { none: true }>;

  constructor(
    private readonly schema: GraphQLSchema,
    private readonly compileAfter: number,
    private readonly observer: {
      compiled(outcome: CompileOutcome): void;
      logger: AppLogger;
      /** Tests only: graphql-js shadows every compiled run; differences are reported here. */
      shadowMismatch?: (mismatch: ShadowMismatch) => void;
    },
    /** Heap the compiled queries may take, in bytes. */
    cacheBytes = 64 * 1024 * 1024,
  ) {
    this.compiled = new LRUCache({
      maxSize: cacheBytes,
      sizeCalculation: (entry, key) =>
        2 * key.length + ('none' in entry ? 64 : compiledBytes(entry.document)),
    });
  }

  /** Heap the compiled queries and run counters take, as their entries were sized. */
  get bytes(): number {
    return this.compiled.calculatedSize + this.runs.calculatedSize;
  }

  /**
   * The compiled operation a request asks for, by its document's text or (a persisted query)
   * the SHA-256 of that text, and the operation name it gave, if it has been compiled: nothing
   * is counted or compiled here (the fast path's lookup).
   */
  compiledOperation(
    requested: { text: string } | { hash: string },
    operationName: string | null | undefined,
  ): CompiledOperation | undefined {
    // Client input: a name that is no GraphQL name names no operation (and could fake a key).
    if (operationName != null && !GRAPHQL_NAME.test(operationName)) return;
    const key =
      'text' in requested
        ? keyOf(sha256(requested.text), operationName)
        : hashKeyOf(requested.hash, operationName);
    const compiled = this.compiled.get(key);
    return compiled && 'none' in compiled ? undefined : compiled;
  }

  /** Runs `compiled` with `contextValue`: its result, or what it threw. */
  async run(
    compiled: CompiledOperation,
    contextValue: object,
    variables: Record<string, unknown> | null | undefined,
  ): Promise<CompiledOutcome> {
    let outcome: CompiledOutcome;
    try {
      outcome = await compiled.query.query(undefined, contextValue, variables ?? {});
    } catch (thrown) {
      // Thrown, not reported: graphql-jit reads a field without a resolver unguarded, so a
      // value that throws when read fails the whole run (graphql-js would make it a field
      // error). Apollo's execution step rethrows it (pipeline.ts).
      outcome = { thrown };
    }
    if (this.observer.shadowMismatch) await this.shadow(compiled, contextValue, variables, outcome);
    return outcome;
  }

  /**
   * Tests only: runs graphql-js after a compiled run, on the same context (its loaders may
   * answer from their cache: the answer must be the same), and reports any difference. The
   * shadow's SQL is taken back off the operation's spend, so the SQL budget sees one run.
   */
  private async shadow(
    compiled: CompiledOperation,
    contextValue: object,
    variables: Record<string, unknown> | null | undefined,
    outcome: CompiledOutcome,
  ): Promise<void> {
    const spend = (contextValue as { sql?: { statements: number; ms: number } }).sql;
    const before = spend && { statements: spend.statements, ms: spend.ms };
    const reference = await execute({
      schema: this.schema,
      document: compiled.document,
      contextValue,
      variableValues: variables,
      operationName: compiled.operationName,
    });
    if (spend && before) Object.assign(spend, before);
    const difference = compareOutcomes(outcome, reference);
    if (difference) {
      this.observer.shadowMismatch?.({ operationName: compiled.operationName, ...difference });
    }
  }

  /** The document's compiled operation, once it has run often enough to be compiled; else none. */
  compiledFor(
    requestContext: GraphQLRequestContextResponseForOperation<object>,
  ): CompiledOperation | undefined {
    const { operation, operationName, request, source, queryHash, document } = requestContext;
    // No operation by the requested name (Apollo's types say there always is one): graphql-js
    // reports it, and Apollo answers OPERATION_RESOLUTION_FAILURE.
    const resolved = operation as typeof operation | undefined;
    if (this.compileAfter <= 0 || resolved?.operation !== OperationTypeNode.QUERY) return;
    if (!queryHash) return; // set by Apollo before any operation resolves
    // As requested, not as resolved: the fast path has only the request to go by. Apollo's
    // queryHash is the text's SHA-256 (or, for a persisted query, the hash it was registered by).
    const key = keyOf(queryHash, request.operationName);
    let compiled = this.compiled.get(key);
    if (!compiled) {
      let counter = this.runs.get(key);
      if (!counter) this.runs.set(key, (counter = { count: 0 }));
      counter.count += 1;
      if (counter.count < this.compileAfter) return;
      this.runs.delete(key);
      const query = this.compile(source, document, operationName);
      compiled = 'none' in query ? query : { query, document, operation, operationName };
      this.compiled.set(key, compiled);
    }
    if ('none' in compiled) return;
    // A persisted query is found by its hash too, as its client asks for it (Apollo checked that
    // the hash is the text's when the client registered it). Only a persisted query: Apollo
    // answers a hash it was never given as unknown.
    if (queryHash && request.extensions?.persistedQuery) {
      const hashKey = hashKeyOf(queryHash, request.operationName);
      // Shares the compiled form: the key alone is new memory.
      if (!this.compiled.has(hashKey))
        this.compiled.set(hashKey, compiled, { size: 2 * hashKey.length + 64 });
    }
    return compiled;
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

/** A GraphQL name (an operation's): the keys below rely on it. */
const GRAPHQL_NAME = /^[_A-Za-z][_0-9A-Za-z]*$/;

/**
 * A compiled operation's keys: the operation name as requested (`*` for none: GraphQL names
 * hold neither `*`, `:` nor `#`), then the SHA-256 of the document's text (`:`), or the hash a
 * persisted query was registered by (`#`: a hash is answered only for a persisted query, as
 * Apollo does). Apollo compiles only what resolved to an operation, so only names that are
 * GraphQL names are ever keys; lookups check the requested name first.
 */
function keyOf(textHash: string, operationName: string | null | undefined): string {
  return `${operationName ?? '*'}:${textHash}`;
}

/** Apollo's queryHash of a text: the same function, so both front doors find one entry. */
function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

function hashKeyOf(hash: string, operationName: string | null | undefined): string {
  return `${operationName ?? '*'}#${hash}`;
}

/**
 * Why graphql-jit must not compile a document, if it must not: every class of document whose
 * compiled answer could differ from graphql-js's, in this one place (each has its test in
 * compiled-execution.int.test.ts; the fuzzer in equivalence.int.test.ts looks for more).
 *
 * - A string literal anywhere (an argument, a default value): graphql-jit 0.8.9 writes literal
 *   values into the code it generates and turns a string holding one of its internal markers
 *   into code, so nothing a client wrote but names and numbers reaches generated code (clients
 *   pass strings as variables, which are data at run time).
 * - A variable nested in an input-object or list literal: graphql-jit fills an absent one with
 *   null, overriding the field's default, where graphql-js leaves the field out.
 * - A response key that is a property of Object.prototype, or an alias starting with `__`:
 *   graphql-jit builds result objects as object literals, where `__proto__: …` sets the
 *   prototype (the field disappears) and the order of keys can change; graphql-js's results
 *   have no prototype.
 * - `@skip` / `@include` on a variable that may be null: graphql-js reports the null as an
 *   error, graphql-jit reads it as false.
 */
export function notCompilable(document: DocumentNode): string | undefined {
  let reason: string | undefined;
  const inLiteral: ASTNode[] = [];
  const mayBeNull = nullableVariables(document);
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
    Field(node) {
      const alias = node.alias?.value;
      if (!PROTOTYPE_KEYS.has(alias ?? node.name.value) && !alias?.startsWith('__')) return;
      reason = 'a response key of Object.prototype';
      return BREAK;
    },
    Directive(node) {
      if (node.name.value !== 'skip' && node.name.value !== 'include') return;
      const condition = node.arguments?.find((argument) => argument.name.value === 'if')?.value;
      if (condition?.kind !== Kind.VARIABLE || !mayBeNull(condition.name.value)) return;
      reason = `@${node.name.value} on a variable that may be null`;
      return BREAK;
    },
  });
  return reason;
}

const PROTOTYPE_KEYS = new Set(Object.getOwnPropertyNames(Object.prototype));

/**
 * Whether a variable may be null in some operation of the document (fragments are shared, so
 * any operation's declaration counts; an undeclared one is the validator's to refuse).
 */
function nullableVariables(document: DocumentNode): (name: string) => boolean {
  const nullable = new Set<string>();
  const declared = new Set<string>();
  for (const definition of document.definitions) {
    if (definition.kind !== Kind.OPERATION_DEFINITION) continue;
    for (const variable of definition.variableDefinitions ?? []) {
      declared.add(variable.variable.name.value);
      if (variable.type.kind !== Kind.NON_NULL_TYPE) nullable.add(variable.variable.name.value);
    }
  }
  return (name) => nullable.has(name) || !declared.has(name);
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
