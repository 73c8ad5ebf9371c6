import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { chownSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import pg from 'pg';

/**
 * What the topology's launchers share: a server started as a child of this process (never
 * daemonised, so a death is seen), its output kept for the error that says why it did not
 * come up, and a stop that cannot hang.
 */

export interface Launched {
  url: string;
  stop(): Promise<void>;
  /** Resolves when the server exits, whoever stopped it (how it ended, as text). */
  exited?: Promise<string>;
}

export interface Supervised {
  child: ChildProcess;
  /** The last lines it printed, for error messages. */
  output(): string;
  /** Resolves with the exit code (or signal) once the process has gone. */
  exited: Promise<string>;
  /** `signal`, then SIGKILL after `killAfterMs`; resolves when the process has gone. */
  stop(): Promise<void>;
}

/**
 * PostgreSQL and PgBouncer refuse to run as root (CI and containers are root): as root, they
 * run as Debian's `postgres` user, which owns their folders.
 */
export function serviceUser(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const id = (flag: string) => Number(execFileSync('id', [flag, 'postgres']).toString().trim());
  return { uid: id('-u'), gid: id('-g') };
}

/**
 * Gives `paths` to the service user when there is one (as root). A folder's parents must let
 * that user pass (a mkdtemp is 0700): said plainly instead of a server's bare "Permission denied".
 */
export function handOver(...paths: string[]): void {
  const user = serviceUser();
  if (!user) return;
  for (const path of paths) {
    for (let folder = dirname(path); folder !== dirname(folder); folder = dirname(folder)) {
      if ((statSync(folder).mode & 0o001) === 0) {
        throw new Error(
          `the postgres user cannot enter ${folder} (mode 700?): chmod o+x it, or use a folder it can reach`,
        );
      }
    }
    chownSync(path, user.uid, user.gid);
  }
}

export function supervise(
  command: string,
  args: string[],
  options: {
    signal: NodeJS.Signals;
    killAfterMs?: number;
    env?: NodeJS.ProcessEnv;
    /** Servers that run as root (Redis, nginx, which drops its workers itself) say false. */
    asServiceUser?: boolean;
  },
): Supervised {
  const user = options.asServiceUser === false ? undefined : serviceUser();
  const child = spawn(command, args, {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: options.env ?? process.env,
    ...user,
  });
  const lines: string[] = [];
  const keep = (chunk: Buffer) => {
    lines.push(...chunk.toString().split('\n').filter(Boolean));
    lines.splice(0, Math.max(0, lines.length - 40));
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  const exited = new Promise<string>((resolve) => {
    child.once('exit', (code, signal) => resolve(signal ?? `code ${code}`));
    child.once('error', (error) => {
      lines.push(`${command}: ${error.message}`);
      resolve(`spawn error: ${error.message}`);
    });
  });
  let stopping: Promise<void> | undefined;
  return {
    child,
    output: () => lines.join('\n'),
    exited,
    stop() {
      stopping ??= (async () => {
        if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
        child.kill(options.signal);
        let timer: NodeJS.Timeout | undefined;
        const killed = new Promise<void>((resolve) => {
          timer = setTimeout(() => {
            child.kill('SIGKILL');
            resolve();
          }, options.killAfterMs ?? 10_000);
        });
        await Promise.race([exited, killed]);
        clearTimeout(timer);
        await exited;
      })();
      return stopping;
    },
  };
}

/**
 * Polls until `url` accepts a connection and answers `select 1` (the port open is not enough:
 * PostgreSQL says "starting up", PgBouncer has no server yet), or the process dies.
 */
export async function waitForPostgresProtocol(
  url: string,
  server: Supervised,
  what: string,
  timeoutMs = 30_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    if (server.child.exitCode !== null || server.child.signalCode !== null) {
      throw new Error(`${what} exited (${await server.exited}):\n${server.output()}`);
    }
    const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2000 });
    client.on('error', () => undefined);
    try {
      await client.connect();
      await client.query('select 1');
      return;
    } catch (error) {
      lastError = error;
    } finally {
      await client.end().catch(() => undefined);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  await server.stop();
  throw new Error(
    `${what} did not accept connections within ${timeoutMs} ms (${String(lastError)}):\n${server.output()}`,
  );
}
