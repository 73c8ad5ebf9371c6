import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { debianBinary } from './debian';
import { exchange, spawnServer, waitUntilServing } from './spawned';

export interface RedisOptions {
  /** Its working folder (created if missing); nothing is written outside it. */
  dir: string;
  port: number;
  /** The memory bound; past it, the least recently used keys go. A cache, so 64mb by default. */
  maxmemory?: string;
  /** `allkeys-lru` by default: every key is a cache entry, any may be evicted. */
  maxmemoryPolicy?: string;
}

export interface RunningRedis {
  /** `redis://127.0.0.1:<port>` */
  url: string;
  stop(): Promise<void>;
}

/**
 * Debian's redis-server in the foreground on loopback, as a cache: no snapshots, no append-only
 * file, bounded memory. Resolves once it answers; `stop` ends it (SIGTERM, SIGKILL after 5 s).
 */
export async function startRedis(options: RedisOptions): Promise<RunningRedis> {
  const binary = debianBinary('redis-server');
  if (!binary) throw new Error('redis-server not found: apt-get install -y redis-server');
  const dir = resolve(options.dir);
  mkdirSync(dir, { recursive: true });
  const server = spawnServer(binary, [
    '--bind',
    '127.0.0.1',
    '--port',
    String(options.port),
    '--protected-mode',
    'yes',
    '--daemonize',
    'no',
    '--dir',
    dir,
    '--pidfile',
    resolve(dir, 'redis.pid'),
    '--logfile',
    '', // stdout, kept for the error message of a failed start
    '--save',
    '',
    '--appendonly',
    'no',
    '--maxmemory',
    options.maxmemory ?? '64mb',
    '--maxmemory-policy',
    options.maxmemoryPolicy ?? 'allkeys-lru',
  ]);
  // This server, not another one already on the port: its INFO names this child's pid.
  await waitUntilServing('redis-server', server, async () => {
    const reply = await exchange(options.port, 'INFO server\r\n', (r) => r.includes('tcp_port:'));
    return reply.includes(`process_id:${server.child.pid}\r\n`);
  });
  return { url: `redis://127.0.0.1:${options.port}`, stop: () => server.stop() };
}
