import { GraphQLError } from 'graphql';

/**
 * The errors a client may see, each with a literal `extensions.code`. Anything else that escapes a
 * resolver is logged and masked as INTERNAL_SERVER_ERROR by `src/graphql/format-error.ts`.
 */

export interface FieldProblem {
  /** Path of the argument or input field at fault, e.g. "filter.minPrice". */
  field: string;
  /** A short machine-readable name of the rule, e.g. "max". */
  constraint: string;
  message: string;
}

export class BadUserInputError extends GraphQLError {
  constructor(message: string, fields: FieldProblem[] = []) {
    super(message, { extensions: { code: 'BAD_USER_INPUT', fields } });
  }

  /** One problem with one argument: the message names the field as well. */
  static field(field: string, constraint: string, message: string): BadUserInputError {
    return new BadUserInputError(`${field}: ${message}`, [{ field, constraint, message }]);
  }
}

export class NotFoundError extends GraphQLError {
  /** `field`: the argument that named it, when not the mutation's own `id`. */
  constructor(type: string, id: string | number, field = 'id') {
    super(`${type} ${id} does not exist`, {
      extensions: { code: 'NOT_FOUND', type, id: String(id), field },
    });
  }
}

/** The request's state clashes with the database's: a taken unique value, a stale version. */
export class ConflictError extends GraphQLError {
  constructor(message: string, details: Record<string, unknown> = {}) {
    super(message, { extensions: { ...details, code: 'CONFLICT' } });
  }
}

export class UnauthenticatedError extends GraphQLError {
  /** `rejectsRequest`: a bad token stops the whole request with HTTP 401; a field that needs a
   * signed-in user only fails that field, in an otherwise normal 200 response. */
  constructor(message = 'Sign in to do this', rejectsRequest = false) {
    super(message, {
      extensions: { code: 'UNAUTHENTICATED', ...(rejectsRequest ? { http: { status: 401 } } : {}) },
    });
  }
}

export class ForbiddenError extends GraphQLError {
  constructor(message = 'You may not do this') {
    super(message, { extensions: { code: 'FORBIDDEN' } });
  }
}

export class ServiceUnavailableError extends GraphQLError {
  /** `rejectsRequest`: nothing of the request can be served, so it is answered with HTTP 503. */
  constructor(message = 'The database is unavailable; retry shortly.', rejectsRequest = false) {
    super(message, {
      extensions: {
        code: 'SERVICE_UNAVAILABLE',
        ...(rejectsRequest ? { http: { status: 503 } } : {}),
      },
    });
  }
}

/**
 * The client closed the connection before its answer was ready: what it started is stopped
 * (queued, or its running SQL cancelled). Nobody reads this error; logs and metrics do (nginx
 * calls it 499).
 */
export class ClientClosedRequestError extends GraphQLError {
  constructor() {
    super('The client closed the request before it was answered', {
      extensions: { code: 'CLIENT_CLOSED_REQUEST', http: { status: 499 } },
    });
  }
}

/**
 * Codes that pass `formatError` unchanged: ours, and those Apollo itself gives to
 * malformed requests (they describe the request, never the server's internals).
 */
export const CLIENT_ERROR_CODES: ReadonlySet<string> = new Set([
  'BAD_USER_INPUT',
  'NOT_FOUND',
  'UNAUTHENTICATED',
  'FORBIDDEN',
  'CONFLICT',
  'SERVICE_UNAVAILABLE',
  'GRAPHQL_PARSE_FAILED',
  'GRAPHQL_VALIDATION_FAILED',
  'BAD_REQUEST',
  'OPERATION_RESOLUTION_FAILURE',
  'PERSISTED_QUERY_NOT_FOUND',
  'PERSISTED_QUERY_NOT_SUPPORTED',
  'PAYLOAD_TOO_LARGE',
  'CLIENT_CLOSED_REQUEST',
]);
