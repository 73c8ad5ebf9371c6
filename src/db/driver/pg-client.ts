import type { Socket } from 'node:net';
import pg from 'pg';

/*
 * pg's client internals, as read from pg 8.20.0 (lib/client.js, lib/connection.js, lib/query.js)
 * with pg-protocol 1.x. Contract: driver-contract.int.test.ts; how to lift the pin:
 * docs/dependencies.md#pg.
 */

/** A connection of the pool: a pg.Client (knex's postgres dialect pools pg clients). */
export type PooledClient = pg.Client;

interface PgClientInternals {
  /** The backend's cancel key, from BackendKeyData (set once the client is connected). */
  processID: number;
  secretKey: number;
  connectionParameters: { ssl?: unknown };
  /** Named statements this connection has prepared, by name (pg then only binds them). */
  connection: { parsedStatements: Record<string, string> };
}

const internals = (client: pg.Client) => client as unknown as PgClientInternals;

/**
 * Makes pg prepare `name` again on its next use: after a `DEALLOCATE`, pg would otherwise go on
 * binding a statement the server no longer has.
 */
export function forgetPreparedStatement(client: pg.Client, name: string): void {
  delete internals(client).connection.parsedStatements[name];
}

/** What a cancel request for `client` needs: its backend's key, and the pool's TLS settings. */
export function cancelKeyOf(client: pg.Client): {
  processID: number;
  secretKey: number;
  ssl: unknown;
} {
  const { processID, secretKey, connectionParameters } = internals(client);
  return { processID, secretKey, ssl: connectionParameters.ssl };
}

/** pg's protocol connection, with the methods its types leave out. */
type CancelConnection = pg.Connection & {
  connect(port: number, host: string): void;
  connect(socketPath: string): void;
  cancel(processID: number, secretKey: number): void;
};

/**
 * PostgreSQL's cancel request for what `client` is running: a message of its own on a new
 * connection to the same server (the protocol's way: no pool slot, no login, identified by the
 * backend's process id and secret key). Best effort: if it is lost, the statement still ends at
 * statement_timeout. The same message pg's own Client#cancel sends (lib/client.js).
 */
export function sendCancelRequest(client: pg.Client): void {
  const { processID, secretKey, ssl } = cancelKeyOf(client);
  // The pool's TLS settings too: a server (or proxy) that requires TLS refuses a plain cancel.
  const connection = new pg.Connection({ ssl } as pg.ConnectionConfig) as CancelConnection;
  connection.on('error', () => {}); // the server hangs up once it has read the request
  connection.once(ssl ? 'sslconnect' : 'connect', () => connection.cancel(processID, secretKey));
  // A server that does not answer is not waited for.
  const socket = connection.stream as Socket;
  socket.setTimeout(CANCEL_TIMEOUT_MS, () => socket.destroy());
  const host = client.host ?? 'localhost';
  if (host.startsWith('/')) connection.connect(`${host}/.s.PGSQL.${client.port}`);
  else connection.connect(client.port, host);
}

const CANCEL_TIMEOUT_MS = 5000;
