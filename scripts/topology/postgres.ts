import { execFile } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { debianBinary, type DebianBinary } from './debian';
import { handOver, serviceUser, supervise, waitForPostgresProtocol, type Launched } from './child';

/**
 * Debian's PostgreSQL 15 (the version `apt-get install postgresql-15` brings), a primary and
 * its streaming replicas, for the scaled-out topology (`npm run stack`, the topology tests).
 * `postgres` runs as a child of this process rather than daemonised by `pg_ctl start`, so a
 * server that dies is noticed; as root, it runs as Debian's `postgres` user.
 */

export const SUPERUSER = 'postgres';

export interface PostgresOptions {
  /** A folder of its own: the data folder, the socket and the password file go in there. */
  dir: string;
  port: number;
  password: string;
  /** `-c` settings on top of the defaults (e.g. `recovery_min_apply_delay` on a replica). */
  settings?: Record<string, string>;
}

export interface PostgresServer extends Launched {
  /** The superuser's URL of the `postgres` database. */
  url: string;
  dataDir: string;
}

const run = promisify(execFile);

function binary(name: DebianBinary): string {
  const path = debianBinary(name);
  if (!path) throw new Error(`${name} not found: apt-get install -y postgresql-15`);
  return path;
}

/** Runs a PostgreSQL tool to completion, as the service user when root. */
async function tool(name: DebianBinary, args: string[], env: NodeJS.ProcessEnv = {}) {
  try {
    await run(binary(name), args, { env: { ...process.env, ...env }, ...serviceUser() });
  } catch (error) {
    const { stderr } = error as { stderr?: string };
    throw new Error(`${name} ${args.join(' ')} failed:\n${stderr ?? String(error)}`);
  }
}

function prepareFolder(dir: string): string {
  const folder = resolve(dir);
  mkdirSync(folder, { recursive: true, mode: 0o755 });
  handOver(folder);
  return folder;
}

/** A new primary: `initdb` (scram-sha-256 over TCP, replication allowed from loopback), then started. */
export async function startPostgresPrimary(options: PostgresOptions): Promise<PostgresServer> {
  const folder = prepareFolder(options.dir);
  const dataDir = join(folder, 'data');
  const passwordFile = join(folder, 'superuser-password');
  writeFileSync(passwordFile, `${options.password}\n`, { mode: 0o600 });
  handOver(passwordFile);
  // initdb's pg_hba.conf already lets `replication` connect from 127.0.0.1 with --auth-host.
  await tool('initdb', [
    '-D',
    dataDir,
    `--username=${SUPERUSER}`,
    `--pwfile=${passwordFile}`,
    '--auth-host=scram-sha-256',
    '--auth-local=peer',
    '--encoding=UTF8',
    '--no-locale',
    '--no-sync', // a topology for tests and development: its files need not survive a crash
  ]);
  return startServer(folder, dataDir, options, 'PostgreSQL primary');
}

/**
 * A streaming replica of `primaryUrl` (a superuser's URL): `pg_basebackup -R` copies the
 * primary and writes `standby.signal` and `primary_conninfo`; started, it replays the WAL the
 * primary streams. Ready once it streams (pg_stat_wal_receiver), not merely accepts connections.
 */
export async function startPostgresReplica(
  options: PostgresOptions & { primaryUrl: string },
): Promise<PostgresServer> {
  const folder = prepareFolder(options.dir);
  const dataDir = join(folder, 'data');
  await tool('pg_basebackup', [
    '-d',
    options.primaryUrl,
    '-D',
    dataDir,
    '-R',
    '-X',
    'stream',
    '--no-sync',
    '-c',
    'fast', // checkpoint now instead of waiting for the next one
  ]);
  const server = await startServer(folder, dataDir, options, 'PostgreSQL replica');
  try {
    await waitUntilStreaming(server.url);
  } catch (error) {
    await server.stop();
    throw error;
  }
  return server;
}

async function startServer(
  folder: string,
  dataDir: string,
  options: PostgresOptions,
  what: string,
): Promise<PostgresServer> {
  const settings: Record<string, string> = {
    listen_addresses: '127.0.0.1',
    port: String(options.port),
    // Debian's default socket folder (/var/run/postgresql) exists only with its service set up.
    unix_socket_directories: folder,
    fsync: 'off',
    // WAL kept for a replica being made: pg_basebackup's streamer connects after the backup has
    // started, and without this the fast checkpoint may recycle the segment it asks for first
    // ("requested WAL segment … has already been removed", seen in CI).
    wal_keep_size: '64MB',
    ...options.settings,
  };
  const args = [
    '-D',
    dataDir,
    ...Object.entries(settings).flatMap(([k, v]) => ['-c', `${k}=${v}`]),
  ];
  // SIGINT is PostgreSQL's fast shutdown; SIGTERM (smart) would wait for every client to leave.
  const server = supervise(binary('postgres'), args, { signal: 'SIGINT' });
  const url = `postgresql://${SUPERUSER}:${encodeURIComponent(options.password)}@127.0.0.1:${options.port}/postgres`;
  await waitForPostgresProtocol(url, server, what);
  return { url, dataDir, stop: () => server.stop(), exited: server.exited };
}

async function waitUntilStreaming(url: string, timeoutMs = 30_000): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const { rows } = await client.query<{ status: string | null }>(
        'select (select status from pg_stat_wal_receiver) as status',
      );
      if (rows[0]?.status === 'streaming') return;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`the replica at ${url} did not start streaming within ${timeoutMs} ms`);
  } finally {
    await client.end();
  }
}
