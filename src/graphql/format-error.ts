import { unwrapResolverError } from '@apollo/server/errors';
import type { GraphQLFormattedError } from 'graphql';
import { CLIENT_ERROR_CODES } from '../shared/errors';
import { isDatabaseUnavailable, isStatementTimeout } from '../db/database-errors';

const SERVICE_UNAVAILABLE: GraphQLFormattedError['extensions'] = { code: 'SERVICE_UNAVAILABLE' };

/**
 * What a client may see of an error. The typed family (src/shared/errors.ts) and Apollo's
 * request errors pass; a database that cannot be reached becomes SERVICE_UNAVAILABLE; anything
 * else is masked — its message may hold SQL, bind values or host names — and was logged with the
 * request id by the error-logging plugin.
 */
export function formatError(
  formatted: GraphQLFormattedError,
  error: unknown,
): GraphQLFormattedError {
  const code = formatted.extensions?.code;
  if (typeof code === 'string' && CLIENT_ERROR_CODES.has(code)) {
    return {
      ...formatted,
      // A bad token fails while Apollo builds the context, which prefixes the message.
      message: formatted.message.replace(/^Context creation failed: /, ''),
      extensions: withoutStacktrace(formatted.extensions),
    };
  }
  const { locations, path } = formatted;
  const original = unwrapResolverError(error);
  if (isStatementTimeout(original)) {
    return {
      message: 'The operation took too long and was cancelled; retry, or ask for less.',
      locations,
      path,
      extensions: SERVICE_UNAVAILABLE,
    };
  }
  if (isDatabaseUnavailable(original)) {
    return {
      message: 'The database is unavailable; retry shortly.',
      locations,
      path,
      extensions: SERVICE_UNAVAILABLE,
    };
  }
  return {
    message: 'Internal server error',
    locations,
    path,
    extensions: { code: 'INTERNAL_SERVER_ERROR' },
  };
}

function withoutStacktrace(extensions: GraphQLFormattedError['extensions']) {
  if (!extensions || !('stacktrace' in extensions)) return extensions;
  const { stacktrace: _, ...rest } = extensions;
  return rest;
}

/** Errors a client is told about as they are; everything else is worth a log line. */
export function isClientError(error: unknown): boolean {
  const code = (error as { extensions?: { code?: unknown } } | null)?.extensions?.code;
  return typeof code === 'string' && CLIENT_ERROR_CODES.has(code);
}

/** The code a client will see for `error` (what formatError decides), for logs and metrics. */
export function publicCode(error: unknown): string {
  const code = (error as { extensions?: { code?: unknown } } | null)?.extensions?.code;
  if (typeof code === 'string' && CLIENT_ERROR_CODES.has(code)) return code;
  const original = unwrapResolverError(error);
  return isDatabaseUnavailable(original) || isStatementTimeout(original)
    ? 'SERVICE_UNAVAILABLE'
    : 'INTERNAL_SERVER_ERROR';
}
