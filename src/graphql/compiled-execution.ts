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
  type GraphQLError,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SourceLocation,
} from 'graphql';
import { compileQuery, isCompiledQuery, type CompiledQuery } from 'graphql-jit';
import { LRUCache } from 'lru-cache';
import { hash } from 'node:crypto';
import type { AppLogger } from '../logger';
import { compiledBytes, documentBytes, textEntryBytes } from './document-caches';
import { hoistLiterals, type HoistedDocument } from './literal-hoisting';
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
  /** Shared by every literal variant of the document (literal-hoisting.ts). */
  query: CompiledQuery;
  /** Apollo's parsed document (read only: it is shared by every operation of the document). */
  document: DocumentNode;
  operation: OperationDefinitionNode;
  /** The operation's name, as Apollo resolved it (the request may have named none). */
  operationName: string | null;
  /** This document's literals, passed to `query` as the variables they became. */
  literals?: Record<string, unknown> | undefined;
  /** Where this document's fields are, by where they were in the document `query` was made from. */
  relocation?: Map<string, SourceLocation> | undefined;
}

/** A compiled run's outcome: a result (with or without errors), or what it threw. */
export type CompiledOutcome = ExecutionResult | { thrown: unknown };

/**
 * What is known of a document's text: its normalized form (the key of its compiled query, its
 * literals' values, its fields' locations) and, once linked, its compiled operation (null: its
 * form is not compiled). The normalization's own cache: text → form, bounded in bytes.
 */
interface TextEntry {
  form: string;
  literals: Record<string, unknown> | undefined;
  fieldLocations: number[];
  compiled?: CompiledOperation | null;
}

/** A compiled query shared by the texts of one form, and which texts use it (dropped with it). */
type SharedQuery =
  | { query: CompiledQuery; fieldLocations: number[]; texts: Set<string>; bytes: number }
  | { none: true; texts: Set<string> };

/**
 * Executes queries as functions compiled for their document (graphql-jit), once a document has
 * run `compileAfter` times; the first runs, mutations and documents not compiled (below) go
 * through graphql-js as usual. The compiled form does once, ahead of time, what graphql-js
 * re-derives on every run (docs/performance.md#compiled-execution). Waiting for a second run
 * keeps one-off documents (a Playground session, a scan) from paying the compile.
 *
 * Literal arguments are hoisted into variables first (literal-hoisting.ts): documents that
 * differ only in their literals (`product(id: "1")`, `product(id: "2")`) count their runs
 * together and share one compiled query (docs/performance.md#literal-documents).
 *
 * Mutations stay with graphql-js: they are rare, and their serial execution is where a
 * difference in semantics would cost most.
 *
 * The operation pipeline (pipeline.ts) is the one place that chooses compiled or graphql-js,
 * for Apollo and for the fast path, which finds a compiled query by its text (or its hash)
 * before Apollo is involved at all (compiledOperation).
 */
export class CompiledExecution {
  /** Forms' runs so far, until compiled. */
  private readonly runs = new LRUCache<string, { count: number }>({
    maxSize: COUNTED_RUNS_BYTES,
    sizeCalculation: (_, key) => 2 * key.length + 64,
  });
  /**
   * By the operation's name as requested and the SHA-256 of the document's text (the fast path
   * looks them up before anything is parsed), sized in bytes as measured (document-caches.ts).
   */
  private readonly texts: LRUCache<string, TextEntry>;
  /** Compiled queries by form (the requested name and the SHA-256 of the normalized text). */
  private readonly queries: LRUCache<string, SharedQuery>;

  constructor(
    private readonly schema: GraphQLSchema,
    private readonly compileAfter: number,
    private readonly observer: {
      compiled(outcome: CompileOutcome): void;
      logger: AppLogger;
      /** Tests only: graphql-js shadows every compiled run; differences are reported here. */
      shadowMismatch?: (mismatch: ShadowMismatch) => void;
    },
    /** Heap the compiled queries (3/4) and the texts' forms (1/4) may take, in bytes. */
    cacheBytes = 64 * 1024 * 1024,
  ) {
    this.texts = new LRUCache({
      maxSize: Math.max(1, Math.floor(cacheBytes / 4)),
      sizeCalculation: (entry, key) =>
        textEntryBytes(key, entry.form, entry.literals, entry.fieldLocations.length) +
        (entry.compiled ? documentBytes(entry.compiled.document) : 0),
      // A text no longer keeps its compiled query.
      dispose: (entry, key) => this.queries.peek(entry.form)?.texts.delete(key),
    });
    this.queries = new LRUCache({
      maxSize: Math.max(1, cacheBytes - Math.floor(cacheBytes / 4)),
      // A compiled query let go takes its texts' links with it: none keeps it alive unbooked.
      dispose: (shared, _form, reason) => {
        if (reason === 'set') return;
        for (const text of [...shared.texts]) this.texts.delete(text);
      },
    });
  }

  /** Heap the compiled queries, the texts' forms and run counters take, as sized. */
  get bytes(): number {
    return this.queries.calculatedSize + this.texts.calculatedSize + this.runs.calculatedSize;
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
    return this.texts.get(key)?.compiled ?? undefined;
  }

  /** Runs `compiled` with `contextValue`: its result, or what it threw. */
  async run(
    compiled: CompiledOperation,
    contextValue: object,
    variables: Record<string, unknown> | null | undefined,
  ): Promise<CompiledOutcome> {
    let outcome: CompiledOutcome;
    // The literals' variables are named apart from the client's (they win over any it added).
    const values = compiled.literals ? { ...variables, ...compiled.literals } : (variables ?? {});
    try {
      outcome = await compiled.query.query(undefined, contextValue, values);
    } catch (thrown) {
      // Thrown, not reported: graphql-jit reads a field without a resolver unguarded, so a
      // value that throws when read fails the whole run (graphql-js would make it a field
      // error). Apollo's execution step rethrows it (pipeline.ts).
      outcome = { thrown };
    }
    if (compiled.relocation && 'errors' in outcome && outcome.errors) {
      outcome = {
        ...outcome,
        errors: outcome.errors.map((e) => relocated(e, compiled.relocation!)),
      };
    }
    if (this.observer.shadowMismatch) await this.shadow(compiled, contextValue, variables, outcome);
    return outcome;
  }

  /**
   * Tests only: runs graphql-js after a compiled run, on the same context (its loaders may
   * answer from their cache: the answer must be the same), and reports any difference. The
   * shadow's SQL is taken back off the operation's spend, so the SQL budget sees one run.
   * graphql-js runs the document as the client wrote it: literals, not hoisted variables.
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

  /** The document's compiled operation, once its form has run often enough to be compiled. */
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
    let entry = this.texts.get(key);
    if (!entry) {
      // Apollo's document, read only (the hoisted form copies what it changes).
      const form = hoistLiterals(this.schema, document, operation);
      entry = {
        form: keyOf(sha256(form.text), request.operationName),
        literals: form.values,
        fieldLocations: form.fieldLocations,
      };
      this.texts.set(key, entry);
    }
    if (entry.compiled === undefined) {
      let shared = this.queries.get(entry.form);
      if (!shared) {
        let counter = this.runs.get(entry.form);
        if (!counter) this.runs.set(entry.form, (counter = { count: 0 }));
        counter.count += 1;
        if (counter.count < this.compileAfter) return;
        this.runs.delete(entry.form);
        shared = this.compile(source, operationName);
        this.queries.set(entry.form, shared, { size: sharedBytes(entry.form, shared) });
      }
      const compiled: CompiledOperation | null =
        'none' in shared
          ? null
          : {
              query: shared.query,
              document,
              operation,
              operationName,
              literals: entry.literals,
              relocation: relocation(shared.fieldLocations, entry.fieldLocations),
            };
      entry = { ...entry, compiled };
      this.texts.set(key, entry);
      shared.texts.add(key);
    }
    const { compiled } = entry;
    if (!compiled) return;
    // A persisted query is found by its hash too, as its client asks for it (Apollo checked that
    // the hash is the text's when the client registered it). Only a persisted query: Apollo
    // answers a hash it was never given as unknown.
    if (request.extensions?.persistedQuery) {
      const hashKey = hashKeyOf(queryHash, request.operationName);
      if (!this.texts.has(hashKey)) {
        // Shares the text's entry: the key alone is new memory.
        this.texts.set(hashKey, entry, { size: 2 * hashKey.length + 64 });
        this.queries.peek(entry.form)?.texts.add(hashKey);
      }
    }
    return compiled;
  }

  /**
   * Compiles a parse of its own, hoisted as Apollo's was (graphql-jit marks the AST it is given,
   * and Apollo's is shared by every operation of the document), after checking the hoisted form.
   */
  private compile(source: string, operationName: string | null): SharedQuery {
    const none = { none: true, texts: new Set<string>() } as const;
    const { observer } = this;
    let unsafe: string | undefined = source.length > MAX_COMPILED_SOURCE ? 'too long' : undefined;
    let form: HoistedDocument | undefined;
    if (!unsafe) {
      const parsed = parse(source);
      const operation = parsed.definitions.find(
        (d): d is OperationDefinitionNode =>
          d.kind === Kind.OPERATION_DEFINITION &&
          (operationName === null || d.name?.value === operationName),
      );
      if (!operation) unsafe = 'no operation';
      else {
        form = hoistLiterals(this.schema, parsed, operation);
        unsafe = notCompilable(form.document);
      }
    }
    if (unsafe || !form) {
      observer.compiled('skipped');
      observer.logger.debug({ operationName, reason: unsafe }, 'query not compiled');
      return none;
    }
    try {
      const query = compileQuery(this.schema, form.document, operationName ?? undefined);
      if (isCompiledQuery(query)) {
        observer.compiled('ok');
        return {
          query,
          fieldLocations: form.fieldLocations,
          texts: new Set(),
          bytes: compiledBytes(form.document),
        };
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
 * Line:column of a field in the document a query was compiled from → where that field is in
 * this text (graphql-jit writes the first text's locations into the code it generates; a
 * variant with longer literals or another layout has its fields elsewhere). None: the same.
 */
function relocation(compiledAt: number[], own: number[]): Map<string, SourceLocation> | undefined {
  let moved: Map<string, SourceLocation> | undefined;
  for (let i = 0; i + 1 < compiledAt.length; i += 2) {
    if (compiledAt[i] === own[i] && compiledAt[i + 1] === own[i + 1]) continue;
    moved ??= new Map();
    moved.set(`${compiledAt[i]}:${compiledAt[i + 1]}`, { line: own[i]!, column: own[i + 1]! });
  }
  return moved;
}

/** graphql-jit's error, with its locations moved to this text's (its properties are frozen). */
function relocated(error: GraphQLError, moved: Map<string, SourceLocation>): GraphQLError {
  if (!error.locations?.length) return error;
  const locations = error.locations.map((l) => moved.get(`${l.line}:${l.column}`) ?? l);
  return Object.create(Object.getPrototypeOf(error) as object, {
    ...Object.getOwnPropertyDescriptors(error),
    locations: { value: locations, enumerable: true },
  }) as GraphQLError;
}

function sharedBytes(form: string, shared: SharedQuery): number {
  return 2 * form.length + ('none' in shared ? 64 : shared.bytes);
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

/**
 * Apollo's queryHash of a text: the same function, so both front doors find one entry.
 * `crypto.hash` is the one-shot form (no Hash object per request: ~0.5 µs against ~2).
 */
function sha256(text: string): string {
  return hash('sha256', text, 'hex');
}

function hashKeyOf(hash: string, operationName: string | null | undefined): string {
  return `${operationName ?? '*'}#${hash}`;
}

/**
 * Why graphql-jit must not compile a document, if it must not: every class of document whose
 * compiled answer could differ from graphql-js's, in this one place (each has its test in
 * compiled-execution.int.test.ts; the fuzzer in equivalence.int.test.ts looks for more).
 *
 * It is asked of the hoisted form (literal-hoisting.ts), whose literal arguments are variables.
 *
 * - A string literal left (a default value, a directive's argument, one hoisting keeps): graphql-
 *   jit 0.8.9 writes literal values into the code it generates and turns a string holding one
 *   of its internal markers into code, so nothing a client wrote but names and numbers reaches
 *   generated code (hoisted strings are variables, which are data at run time).
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
