import type { ExecutionResult, GraphQLError } from 'graphql';

/**
 * Tests only (GRAPHQL_SHADOW_EXECUTION): every compiled run is followed by graphql-js on the
 * same context, and the two outcomes are compared as a client would see them. Invariant 7 is
 * then checked by every test that happens to compile a document, not only by the side-by-side
 * tests someone thought of.
 */
export interface ShadowMismatch {
  operationName: string | null;
  /** The two outcomes, as compared (JSON), compiled first. */
  compiled: string;
  reference: string;
}

/** A compiled run's outcome: a result, or what it threw. */
export type CompiledOutcome = ExecutionResult | { thrown: unknown };

/**
 * The two outcomes as a client would tell them apart: the data as serialised (key order and
 * own keys included, which is how a `__proto__` response key gets lost), each error's message,
 * path, locations and code, and the extensions.
 */
export function compareOutcomes(
  compiled: CompiledOutcome,
  reference: ExecutionResult,
): { compiled: string; reference: string } | undefined {
  // Variables the compiled run refused (no data): graphql-js runs the operation for Apollo
  // (CompiledExecution.executor), so its answer is the client's whether it refuses them or not
  // (graphql-jit refuses an input object that leaves out a non-null field with a default).
  if (!('thrown' in compiled) && !('data' in compiled)) return undefined;
  const left = describe(compiled);
  const right = describe(reference);
  return left === right ? undefined : { compiled: left, reference: right };
}

function describe(outcome: CompiledOutcome): string {
  if ('thrown' in outcome) {
    const thrown = outcome.thrown;
    return JSON.stringify({ thrown: thrown instanceof Error ? thrown.message : String(thrown) });
  }
  return JSON.stringify({
    data: outcome.data,
    errors: nulledRoot(outcome)
      ? 'a field error nulled the root'
      : outcome.errors?.map(describeError),
    extensions: outcome.extensions,
  });
}

/**
 * An error in a non-null root field makes `data` null: graphql-js answers as soon as that field
 * fails, with the errors the other fields had raised by then, so which of them are listed
 * depends on timing, on graphql-js as compiled. Only that it happened is compared.
 */
export function nulledRoot(result: {
  data?: unknown;
  errors?: readonly { path?: readonly unknown[] }[];
}): boolean {
  return result.data === null && !!result.errors?.length && result.errors.every((e) => e.path);
}

function describeError(error: GraphQLError) {
  return {
    message: error.message,
    path: error.path,
    locations: error.locations,
    // Where formatError reads it: the resolver's error, else the error itself (graphql-jit's
    // error class leaves `extensions` out).
    code: codeOf(error.originalError) ?? codeOf(error),
  };
}

function codeOf(error: unknown): unknown {
  if (typeof error !== 'object' || error === null || !('extensions' in error)) return undefined;
  const extensions = (error as { extensions?: { code?: unknown } }).extensions;
  return extensions?.code;
}
