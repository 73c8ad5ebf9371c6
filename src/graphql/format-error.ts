import { unwrapResolverError } from '@apollo/server/errors';
import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import { isDatabaseUnavailable, isStatementTimeout } from '../db/database-errors';
import { CLIENT_ERROR_CODES } from '../shared/errors';

/**
 * Apollo refuses some requests with a GraphQLError that has an HTTP status of 4xx but no code
 * (a persisted query whose hash does not match its text, an unknown persisted query version):
 * the client's mistake, which it is told as BAD_REQUEST, like Apollo's other request errors.
 */
function isCodelessRequestError(error: unknown): boolean {
  const extensions = (error as { extensions?: { code?: unknown; http?: { status?: unknown } } })
    ?.extensions;
  const status = extensions?.http?.status;
  return (
    error instanceof GraphQLError &&
    extensions?.code === undefined &&
    typeof status === 'number' &&
    status >= 400 &&
    status < 500
  );
}

/** The code a client sees for an error: the one place that decides it (formatError, logs, metrics). */
export function publicCode(error: unknown): string {
  const code = (error as { extensions?: { code?: unknown } } | null)?.extensions?.code;
  if (typeof code === 'string' && CLIENT_ERROR_CODES.has(code)) return code;
  if (isCodelessRequestError(error)) return 'BAD_REQUEST';
  const original = unwrapResolverError(error);
  return isDatabaseUnavailable(original) || isStatementTimeout(original)
    ? 'SERVICE_UNAVAILABLE'
    : 'INTERNAL_SERVER_ERROR';
}

/** Errors a client is told about as they are; everything else is worth a log line. */
export function isClientError(error: unknown): boolean {
  const code = (error as { extensions?: { code?: unknown } } | null)?.extensions?.code;
  return (
    (typeof code === 'string' && CLIENT_ERROR_CODES.has(code)) || isCodelessRequestError(error)
  );
}

/**
 * What a client may see of an error. The typed family (src/shared/errors.ts) and Apollo's
 * request errors pass; a database that cannot be reached, or a statement past its timeout, is
 * SERVICE_UNAVAILABLE; anything else is masked — its message may hold SQL, bind values or host
 * names — and was logged with the request id by the error-logging plugin.
 */
export function formatError(
  formatted: GraphQLFormattedError,
  error: unknown,
): GraphQLFormattedError {
  const formattedCode = formatted.extensions?.code;
  if (typeof formattedCode === 'string' && CLIENT_ERROR_CODES.has(formattedCode)) {
    return {
      ...formatted,
      // A bad token fails while Apollo builds the context, which prefixes the message.
      message: formatted.message.replace(/^Context creation failed: /, ''),
      extensions: withoutStacktrace(formatted.extensions),
    };
  }
  if (isCodelessRequestError(error)) {
    return { message: formatted.message, extensions: { code: 'BAD_REQUEST' } };
  }
  const code = publicCode(error);
  const message =
    code === 'INTERNAL_SERVER_ERROR'
      ? 'Internal server error'
      : isStatementTimeout(unwrapResolverError(error))
        ? 'The operation took too long and was cancelled; retry, or ask for less.'
        : 'The database is unavailable; retry shortly.';
  return { message, locations: formatted.locations, path: formatted.path, extensions: { code } };
}

function withoutStacktrace(extensions: GraphQLFormattedError['extensions']) {
  if (!extensions || !('stacktrace' in extensions)) return extensions;
  const { stacktrace: _, ...rest } = extensions;
  return rest;
}
