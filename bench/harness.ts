import type autocannon from 'autocannon';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import pino from 'pino';
import { startEmbeddedPostgres } from '../src/db/embedded-postgres';
import { graphqlBody, type Workload } from './workloads';

/** What the benchmarks share (run.ts, ab.ts, tail.ts, soak-server.ts): processes, catalog, load. */

export const freePort = () =>
  new Promise<number>((resolve) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const address = probe.address();
      probe.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });

export function start(args: string[], env: Record<string, string>, cwd?: string): ChildProcess {
  return spawn(process.execPath, args, {
    cwd,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
}

/** SIGTERM to each, then waits until all have exited. */
export async function stopChildren(children: ChildProcess[]): Promise<void> {
  for (const child of children) child.kill('SIGTERM');
  await Promise.all(
    children.map(
      (c) =>
        new Promise((resolve) => (c.exitCode !== null ? resolve(null) : c.once('exit', resolve))),
    ),
  );
}

/** The JWT secret every bench server is started with (run.ts signs W4's admin token with it). */
export const BENCH_SECRET = 'bench-secret-bench-secret-bench-secret-42';

/** A GraphQL server as the benchmarks start it: production mode, quiet, on loopback at `port`. */
export function benchServerEnv(databaseUrl: string, port: number): Record<string, string> {
  return {
    NODE_ENV: 'production',
    JWT_SECRET: BENCH_SECRET,
    DATABASE_URL: databaseUrl,
    SEED_DEMO: 'false',
    LOG_LEVEL: 'warn',
    HOST: '127.0.0.1',
    PORT: String(port),
  };
}

/** An embedded PostgreSQL of the bench's own (database `bench`), in a folder stop() removes. */
export async function startBenchDatabase(): Promise<{ url: string; stop(): Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), 'catalog-bench-'));
  chmodSync(dir, 0o755); // the postgres user must enter it
  const remove = () => rmSync(dir, { recursive: true, force: true });
  try {
    const embedded = await startEmbeddedPostgres({
      dir: join(dir, 'postgres'),
      port: await freePort(),
      database: 'bench',
      logger: pino({ level: 'warn' }),
    });
    return {
      url: embedded.url,
      stop: async () => {
        await embedded.stop();
        remove();
      },
    };
  } catch (error) {
    remove();
    throw error;
  }
}

export async function waitFor(url: string): Promise<void> {
  for (let i = 0; i < 400; i++) {
    if (
      (await fetch(url).then(
        (r) => r.status,
        () => 0,
      )) === 200
    )
      return;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`${url} did not become ready`);
}

export const CLOCK_TICKS =
  Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;

/** utime + stime of a process, in clock ticks (fields 14 and 15, after the parenthesised name). */
export function cpuTicks(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return Number(fields[11]) + Number(fields[12]);
}

/**
 * A local PostgreSQL's CPU ticks: the postmaster and every live backend (its children), plus what
 * its exited children spent (cutime + cstime, once reaped). Read before and after a server's slot,
 * it tells how much database work that server's requests asked for: a server can be cheap in its
 * own process by sending the database more to do.
 */
export function databaseCpuTicks(postmasterPid: number): number {
  const stat = (pid: number | string) =>
    readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  const own = stat(postmasterPid);
  let ticks = Number(own[11]) + Number(own[12]) + Number(own[13]) + Number(own[14]);
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const fields = stat(entry);
      if (Number(fields[1]) === postmasterPid) ticks += Number(fields[11]) + Number(fields[12]);
    } catch {
      // exited between the listing and the read: its time is in the postmaster's cutime now
    }
  }
  return ticks;
}

/** The postmaster of the PostgreSQL at `url`, when it runs on this machine (else undefined). */
export async function localPostmasterPid(url: string): Promise<number | undefined> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ pid: number }>('select pg_backend_pid() as pid');
    // The backend's pid names a process here only if the server is local: a remote server's pid
    // may be any local process, so both it and its parent must be PostgreSQL's.
    const [head, rest] = readFileSync(`/proc/${rows[0]!.pid}/stat`, 'utf8').split(') ');
    const parent = Number(rest!.split(' ')[1]);
    const parentName = readFileSync(`/proc/${parent}/stat`, 'utf8').split(') ')[0]!;
    return head!.endsWith('(postgres') && parentName.endsWith('(postgres') ? parent : undefined;
  } catch {
    return undefined; // another machine's (or another namespace's) server
  } finally {
    await client.end();
  }
}

export const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
};
export const round2 = (value: number) => Math.round(value * 100) / 100;

/** Requests per cycle: a multiple of a write mix's period, so the mix is exact. */
export const CYCLE = 100;

export const isWrite = (workload: Workload, n: number) =>
  workload.write !== undefined && n % workload.write.every === 0;

/**
 * A write takes its values from a counter shared by all connections, so every write changes a
 * row (a repeated value would be no change, and no UPDATE) and racing writers rarely meet.
 */
let writes = 0;
export const nextWrite = () => (writes += 1);

export function graphqlRequests(workload: Workload, token: string): autocannon.Request[] {
  return Array.from({ length: CYCLE }, (_, n): autocannon.Request => {
    const { write } = workload;
    if (!write || !isWrite(workload, n)) {
      return {
        method: 'POST',
        path: '/graphql',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(graphqlBody(workload, workload.variables(n))),
      };
    }
    return {
      method: 'POST',
      path: '/graphql',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      setupRequest: (request) => ({
        ...request,
        body: JSON.stringify({ query: write.query, variables: write.variables(nextWrite()) }),
      }),
    };
  });
}

/**
 * An OTLP/HTTP endpoint that reads and drops what it is sent, counting it: what a collector
 * costs the server is its exporter's work (batching, serialising, posting), measured here.
 */
export async function startTraceSink(): Promise<{
  url: string;
  server: HttpServer;
  received: () => string;
}> {
  let posts = 0;
  let bytes = 0;
  const server = createHttpServer((request, response) => {
    request.on('data', (chunk: Buffer) => (bytes += chunk.length));
    request.on('end', () => {
      posts += 1;
      response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  const port = await freePort();
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${port}/v1/traces`,
    server,
    received: () => `${posts} exports, ${Math.round(bytes / 1e6)} MB`,
  };
}
