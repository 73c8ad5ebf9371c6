import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { connect, createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import pg from 'pg';
import type { Launched } from './topology/child';
import { startNginx } from './topology/nginx';
import { startPgBouncer } from './topology/pgbouncer';
import { startPostgresPrimary, startPostgresReplica } from './topology/postgres';
import { startRedis } from './topology/redis';

/**
 * `npm run stack`: the scaled-out topology on loopback, from Debian's packages, for users
 * without Docker and for the tests: a PostgreSQL 15 primary, a streaming replica, PgBouncer in
 * transaction mode, Redis, two app instances and nginx in front. Everything lives in one
 * temporary folder, removed on exit; every server is a child, and all stop when one dies.
 * The same topology in Docker: docker-compose.yml; the model behind it: docs/scaling.md.
 */

export interface StackOptions {
  /** nginx's port, the one address clients use (0: any free port). */
  port?: number;
  /** Extra environment for the two app instances. */
  instanceEnv?: Record<string, string>;
  /** Progress lines (default: none). */
  log?: (line: string) => void;
}

export interface Stack {
  /** nginx, in front of the two instances. */
  url: string;
  urls: {
    nginx: string;
    instances: string[];
    primary: string;
    replica: string;
    pgbouncer: string;
    redis: string;
  };
  /** The two app instances' pids. */
  instancePids: number[];
  /** The pids of every server process (PostgreSQL's postmasters, PgBouncer, the instances…). */
  pids: number[];
  /** Resolves with a reason when a server exits without being asked to. */
  died: Promise<string>;
  /** Stops everything, front to back, and removes the folder. */
  stop(): Promise<void>;
}

const APP_USER = 'catalog';
const APP_DATABASE = 'catalog';

export async function startStack(options: StackOptions = {}): Promise<Stack> {
  const log = options.log ?? (() => undefined);
  const childrenBefore = childPids();
  const dir = mkdtempSync(join(tmpdir(), 'catalog-stack-'));
  chmodSync(dir, 0o755); // PostgreSQL and PgBouncer run as the postgres user when root
  const started: { name: string; server: Launched }[] = [];
  let stopping = false;
  let reportDeath: (reason: string) => void = () => undefined;
  const died = new Promise<string>((resolve) => (reportDeath = resolve));
  const own = <T extends Launched>(name: string, server: T): T => {
    started.push({ name, server });
    void server.exited?.then((how) => {
      if (!stopping) reportDeath(`${name} exited (${how})`);
    });
    return server;
  };
  const stop = async () => {
    stopping = true;
    for (const timer of watchers) clearInterval(timer);
    watchers.clear();
    // Front to back: nginx, the instances, then what they use.
    for (const { name, server } of started.reverse()) {
      await server
        .stop()
        .catch((error: unknown) => log(`stopping ${name} failed: ${String(error)}`));
    }
    started.length = 0;
    rmSync(dir, { recursive: true, force: true });
  };

  try {
    const superuserPassword = randomBytes(12).toString('hex');
    const appPassword = randomBytes(12).toString('hex');
    const [primaryPort, replicaPort, bouncerPort, redisPort, ...instancePorts] = await freePorts(6);
    const t0 = Date.now();
    const since = () => `${((Date.now() - t0) / 1000).toFixed(1)} s`;

    // Redis needs nothing else: it comes up while PostgreSQL does.
    const redisStarting = startRedis({ dir: join(dir, 'redis'), port: redisPort! }).then((redis) =>
      own('redis', { ...redis, exited: watch(redis.url, () => redisAnswers(redisPort!)) }),
    );
    const primary = own(
      'primary',
      await startPostgresPrimary({
        dir: join(dir, 'primary'),
        port: primaryPort!,
        password: superuserPassword,
      }),
    );
    log(`primary      ${since()}`);
    await createAppDatabase(primary.url, appPassword);
    const appUrl = (port: number) =>
      `postgresql://${APP_USER}:${appPassword}@127.0.0.1:${port}/${APP_DATABASE}`;
    const [, bouncer] = await Promise.all([
      startPostgresReplica({
        dir: join(dir, 'replica'),
        port: replicaPort!,
        password: superuserPassword,
        primaryUrl: primary.url,
      }).then((server) => own('replica', server)),
      startPgBouncer({
        dir: join(dir, 'pgbouncer'),
        port: bouncerPort!,
        serverUrl: appUrl(primaryPort!),
        users: [{ name: APP_USER, password: appPassword }],
      }).then((server) => own('pgbouncer', server)),
    ]);
    const redis = await redisStarting;
    log(`replica, pgbouncer, redis ${since()}`);

    // The instances as PgBouncer requires (docs/scaling.md#pgbouncer); both migrate and seed
    // under the advisory lock on the direct URL, so one does it and the other waits.
    const instances = await Promise.all(
      instancePorts.map((port, i) =>
        startInstance(port, {
          DATABASE_URL: bouncer.url,
          DATABASE_MIGRATION_URL: appUrl(primaryPort!),
          DATABASE_REPLICA_URLS: appUrl(replicaPort!),
          DB_PREPARED_STATEMENTS: 'false',
          DB_STATEMENT_TIMEOUT_ON: 'role',
          APQ_REDIS_URL: redis.url,
          SEED_DEMO: 'true',
          ...options.instanceEnv,
        }).then((instance) => own(`instance ${i + 1}`, instance)),
      ),
    );
    log(`instances    ${since()}`);
    const nginxPort = options.port || (await freePorts(1))[0]!;
    const nginx = await startNginx({
      dir: join(dir, 'nginx'),
      port: nginxPort,
      upstreams: instances.map((i) => i.url),
    });
    own('nginx', {
      ...nginx,
      exited: watch(nginx.url, () => httpAnswers(`${nginx.url}/nginx-alive`)),
    });
    log(`nginx        ${since()}`);

    const pids = stackPids(childrenBefore);
    return {
      url: nginx.url,
      urls: {
        nginx: nginx.url,
        instances: instances.map((i) => i.url),
        primary: appUrl(primaryPort!),
        replica: appUrl(replicaPort!),
        pgbouncer: bouncer.url,
        redis: redis.url,
      },
      pids,
      instancePids: instances.map((i) => i.pid),
      died,
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** The app's own role and database, as an operator would create them (not the superuser). */
async function createAppDatabase(superuserUrl: string, password: string): Promise<void> {
  const client = new pg.Client({ connectionString: superuserUrl });
  await client.connect();
  try {
    await client.query(`create role ${APP_USER} login password '${password}'`);
    await client.query(`create database ${APP_DATABASE} owner ${APP_USER}`);
  } finally {
    await client.end();
  }
}

type Instance = Launched & { pid: number };

/** One `src/main.ts` process, as `npm run dev` runs it (no build step), ready when /health/ready says so. */
async function startInstance(port: number, env: Record<string, string>): Promise<Instance> {
  const root = resolve(__dirname, '..');
  const child = spawn(process.execPath, ['-r', '@swc-node/register', 'src/main.ts'], {
    cwd: root,
    env: {
      ...process.env,
      NODE_ENV: 'development',
      HOST: '127.0.0.1',
      PORT: String(port),
      LOG_LEVEL: 'warn',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const keep = (chunk: Buffer) => (output = (output + chunk.toString()).slice(-4000));
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  const exited = new Promise<string>((resolve) =>
    child.once('exit', (code, signal) => resolve(signal ?? `code ${code}`)),
  );
  const url = `http://127.0.0.1:${port}`;
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
      await exited;
      clearTimeout(timer);
    }
  };
  const deadline = Date.now() + 90_000;
  while (!(await httpAnswers(`${url}/health/ready`))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      await stop();
      throw new Error(`instance on ${port} did not get ready:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return { url, stop, exited, pid: child.pid! };
}

/**
 * The fleet's launchers (redis.ts, nginx.ts) do not report an exit: their death is seen by
 * asking them every second whether they still answer.
 */
const watchers = new Set<NodeJS.Timeout>();

function watch(what: string, answers: () => Promise<boolean>): Promise<string> {
  return new Promise((resolve) => {
    const timer = setInterval(() => {
      void answers().then((ok) => {
        if (!ok && watchers.delete(timer)) {
          clearInterval(timer);
          resolve(`${what} stopped answering`);
        }
      });
    }, 1000);
    timer.unref();
    watchers.add(timer);
  });
}

async function httpAnswers(url: string): Promise<boolean> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(2000) });
    return response.ok;
  } catch {
    return false;
  }
}

async function redisAnswers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.setTimeout(2000, () => (socket.destroy(), resolve(false)));
    socket.once('error', () => resolve(false));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.once('data', (data) => {
      socket.destroy();
      resolve(data.toString().startsWith('+PONG'));
    });
  });
}

/** Each process's parent, from /proc. */
function parentsOf(): Map<number, number> {
  const parents = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      // pid (comm) state ppid …: comm may hold spaces and parentheses, so split after the last ')'.
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      parents.set(Number(entry), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch {
      // gone already
    }
  }
  return parents;
}

/** This process's children now. */
function childPids(): Set<number> {
  return new Set(
    [...parentsOf()].filter(([, parent]) => parent === process.pid).map(([pid]) => pid),
  );
}

/**
 * The stack's processes: the children this process started since `before` (not, in a test,
 * the run's own PostgreSQL) and all theirs (backends, walsenders, nginx's workers), for a caller
 * to check that none is left after stop.
 */
function stackPids(before: Set<number>): number[] {
  const parents = parentsOf();
  const found = new Set(
    [...parents]
      .filter(([pid, parent]) => parent === process.pid && !before.has(pid))
      .map(([pid]) => pid),
  );
  for (let grown = true; grown;) {
    grown = false;
    for (const [pid, parent] of parents) {
      if (found.has(parent) && !found.has(pid)) {
        found.add(pid);
        grown = true;
      }
    }
  }
  return [...found];
}

async function freePorts(count: number): Promise<number[]> {
  // All held open at once, so no two are the same.
  const servers = await Promise.all(
    Array.from(
      { length: count },
      () =>
        new Promise<Server>((resolve, reject) => {
          const server = createServer();
          server.once('error', reject);
          server.listen(0, '127.0.0.1', () => resolve(server));
        }),
    ),
  );
  const ports = servers.map((s) => (s.address() as { port: number }).port);
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  return ports;
}

if (require.main === module) {
  const port = Number(process.env.STACK_PORT ?? 4000);
  const t0 = Date.now();
  startStack({ port, log: (line) => process.stdout.write(`  up: ${line}\n`) }).then(
    (stack) => {
      process.stdout.write(
        `\nThe stack is up in ${((Date.now() - t0) / 1000).toFixed(1)} s (Ctrl-C stops it all):\n` +
          `  GraphQL (nginx)  ${stack.url}/graphql\n` +
          stack.urls.instances.map((u, i) => `  instance ${i + 1}       ${u}\n`).join('') +
          `  PgBouncer        ${stack.urls.pgbouncer}\n` +
          `  primary          ${stack.urls.primary}\n` +
          `  replica          ${stack.urls.replica}\n` +
          `  Redis            ${stack.urls.redis}\n`,
      );
      let exiting = false;
      const exit = (why: string, code: number) => {
        if (exiting) return;
        exiting = true;
        process.stdout.write(`\n${why}: stopping everything\n`);
        void stack.stop().then(() => process.exit(code));
      };
      process.once('SIGINT', () => exit('SIGINT', 0));
      process.once('SIGTERM', () => exit('SIGTERM', 0));
      void stack.died.then((reason) => exit(reason, 1));
    },
    (error: unknown) => {
      process.stderr.write(`the stack did not come up: ${String(error)}\n`);
      process.exit(1);
    },
  );
}
