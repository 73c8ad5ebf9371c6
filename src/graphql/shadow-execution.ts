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
 * path, locations and code, and the extensions. When the compiled run refused the variables
 * (no data), graphql-js refuses them again for Apollo, in its own words: only that both refuse
 * is compared.
 */
export function compareOutcomes(
  compiled: CompiledOutcome,
  reference: ExecutionResult,
): { compiled: string; reference: string } | undefined {
  const refused = !('thrown' in compiled) && !('data' in compiled);
  const left = describe(compiled, refused);
  const right = describe(reference, refused);
  return left === right ? undefined : { compiled: left, reference: right };
}

function describe(outcome: CompiledOutcome, refused: boolean): string {
  if ('thrown' in outcome) {
    const thrown = outcome.thrown;
    return JSON.stringify({ thrown: thrown instanceof Error ? thrown.message : String(thrown) });
  }
  if (refused) return JSON.stringify({ refused: !('data' in outcome) });
  return JSON.stringify({
    data: outcome.data,
    errors: outcome.errors?.map(describeError),
    extensions: outcome.extensions,
  });
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
