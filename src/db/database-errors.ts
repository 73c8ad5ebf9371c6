import { ConnectionException } from '@mikro-orm/postgresql';

/** SQLSTATEs that mean "the server cannot take work now", not "the query is wrong". */
const UNAVAILABLE_SQLSTATES = new Set([
  '53300', // too_many_connections
  '57P01', // admin_shutdown
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now (starting up, recovering)
  '08000', // connection_exception
  '08001', // sqlclient_unable_to_establish_sqlconnection
  '08003', // connection_does_not_exist
  '08006', // connection_failure
  '3D000', // invalid_catalog_name: the database is gone or misnamed
  '28000', // invalid_authorization_specification
  '28P01', // invalid_password
]);

const UNAVAILABLE_SYSCALL_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

/**
 * True when an error means the database cannot be reached or the pool has no connection to
 * give (knex's acquire timeout): the client may retry, so it is SERVICE_UNAVAILABLE, not a bug.
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  for (let e: unknown = error, depth = 0; e && depth < 5; depth++) {
    if (e instanceof ConnectionException) return true;
    const { name, code, message } = e as { name?: unknown; code?: unknown; message?: unknown };
    if (name === 'KnexTimeoutError') return true;
    if (
      typeof code === 'string' &&
      (UNAVAILABLE_SQLSTATES.has(code) || UNAVAILABLE_SYSCALL_CODES.has(code))
    ) {
      return true;
    }
    if (
      typeof message === 'string' &&
      /Connection terminated|connection timeout|Timeout acquiring a connection/i.test(message)
    ) {
      return true;
    }
    // thrownValue: graphql-js wraps what is not an Error of its realm (the driver's, under Jest).
    e =
      (e as { cause?: unknown }).cause ??
      (e as { previous?: unknown }).previous ??
      (e as { thrownValue?: unknown }).thrownValue;
  }
  return false;
}

/** PostgreSQL cancelled the statement: it ran past statement_timeout. */
export function isStatementTimeout(error: unknown): boolean {
  return (error as { code?: unknown } | null)?.code === '57014';
}
