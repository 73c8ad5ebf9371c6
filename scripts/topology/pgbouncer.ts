import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { debianBinary } from './debian';
import { handOver, supervise, waitForPostgresProtocol, type Launched } from './child';

/**
 * Debian's PgBouncer (1.18 on bookworm) in front of a PostgreSQL, on loopback: what the
 * topology tests and `npm run stack` put between the app and the primary. Every database name
 * is passed through to the server (`* =`), so each test's own database is reachable. Clients
 * authenticate with SCRAM against the userlist, and PgBouncer logs in to PostgreSQL with the
 * same user and password. Why transaction mode and what it costs: docs/scaling.md#pgbouncer.
 */

export interface PgBouncerOptions {
  dir: string;
  port: number;
  /** The PostgreSQL behind it: host and port are taken from this URL. */
  serverUrl: string;
  /** Who may connect, and with which password (also the password PostgreSQL checks). */
  users: { name: string; password: string }[];
  poolMode?: 'session' | 'transaction' | 'statement';
  /** Server connections per database and user pair. */
  poolSize?: number;
  /** More `[pgbouncer]` settings, verbatim. */
  settings?: Record<string, string>;
}

export interface PgBouncer extends Launched {
  /** A URL through PgBouncer for `database`, as the first user. */
  urlFor(database: string, user?: { name: string; password: string }): string;
}

/** A `"name" "password"` line of PgBouncer's auth_file (its quotes doubled inside). */
const quoted = (text: string) => `"${text.replaceAll('"', '""')}"`;

export async function startPgBouncer(options: PgBouncerOptions): Promise<PgBouncer> {
  const bin = debianBinary('pgbouncer');
  if (!bin) throw new Error('pgbouncer not found: apt-get install -y pgbouncer');
  const folder = resolve(options.dir);
  mkdirSync(folder, { recursive: true, mode: 0o755 });
  const server = new URL(options.serverUrl);
  const userlist = join(folder, 'userlist.txt');
  writeFileSync(
    userlist,
    options.users.map((u) => `${quoted(u.name)} ${quoted(u.password)}\n`).join(''),
    { mode: 0o600 },
  );
  const settings: Record<string, string> = {
    listen_addr: '127.0.0.1',
    listen_port: String(options.port),
    unix_socket_dir: '', // TCP only: nothing to collide with another PgBouncer's socket
    auth_type: 'scram-sha-256',
    auth_file: userlist,
    pool_mode: options.poolMode ?? 'transaction',
    default_pool_size: String(options.poolSize ?? 10),
    max_client_conn: '500',
    // pg sends none of these itself; psql and other drivers do.
    ignore_startup_parameters: 'extra_float_digits',
    pidfile: '',
    logfile: '',
    ...options.settings,
  };
  const ini =
    `[databases]\n* = host=${server.hostname} port=${server.port || 5432}\n\n[pgbouncer]\n` +
    Object.entries(settings)
      .map(([key, value]) => `${key} = ${value}\n`)
      .join('');
  const configFile = join(folder, 'pgbouncer.ini');
  writeFileSync(configFile, ini, { mode: 0o600 });
  // It refuses to run as root: the launcher runs it as the `postgres` user (see child.ts),
  // which must read its files.
  handOver(folder, userlist, configFile);

  // In 1.18, SIGTERM is the immediate shutdown (SIGINT waits for every client to leave).
  const process = supervise(bin, [configFile], { signal: 'SIGTERM' });
  const first = options.users[0]!;
  const urlFor = (database: string, user = first) =>
    `postgresql://${encodeURIComponent(user.name)}:${encodeURIComponent(user.password)}@127.0.0.1:${options.port}/${database}`;
  const url = urlFor(server.pathname.slice(1) || 'postgres');
  await waitForPostgresProtocol(url, process, 'PgBouncer');
  return { url, urlFor, stop: () => process.stop(), exited: process.exited };
}
