import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './harness';
import { productionServerArgs } from './server-command';

/**
 * The soaks' server: the production build in a process of its own (its memory is what they
 * measure), with a full GC on SIGUSR2 (bench/gc-on-signal.js), over BENCH_DATABASE_URL or an
 * embedded PostgreSQL in a temporary folder.
 */
export interface SoakServer {
  url: string;
  /** RSS and heap after a full GC, read from the server's /metrics. */
  memory(): Promise<{ rssMb: number; heapMb: number }>;
  /** Whether the process is still running (not killed by the kernel or out of heap). */
  alive(): boolean;
  stop(): Promise<void>;
}

export async function startSoakServer(
  env: Record<string, string> = {},
  nodeArgs: string[] = [],
): Promise<SoakServer> {
  const dataDir = mkdtempSync(join(tmpdir(), 'catalog-soak-'));
  chmodSync(dataDir, 0o755);
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const server: ChildProcess = spawn(
    process.execPath,
    ['--expose-gc', ...nodeArgs, '-r', './bench/gc-on-signal.js', ...productionServerArgs()],
    {
      env: {
        ...process.env,
        NODE_ENV: 'production',
        JWT_SECRET: 'soak-test-secret-soak-test-secret-0123',
        LOG_LEVEL: 'warn',
        PORT: String(port),
        HOST: '127.0.0.1',
        EMBEDDED_PG_DIR: join(dataDir, 'postgres'),
        EMBEDDED_PG_PORT: String(await freePort()),
        ...(process.env.BENCH_DATABASE_URL ? { DATABASE_URL: process.env.BENCH_DATABASE_URL } : {}),
        ...env,
      },
      stdio: ['ignore', 'inherit', 'inherit'],
    },
  );
  let exited = false;
  const exit = new Promise((resolve) => server.once('exit', resolve)).then(() => (exited = true));
  const stop = async () => {
    if (!exited) server.kill('SIGTERM');
    await exit;
    rmSync(dataDir, { recursive: true, force: true });
  };
  try {
    for (let i = 0; ; i++) {
      const status = await fetch(`${url}/health/ready`).then(
        (r) => r.status,
        () => 0,
      );
      if (status === 200) break;
      if (i > 240 || exited) throw new Error('server did not become ready');
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    url,
    alive: () => !exited,
    async memory() {
      server.kill('SIGUSR2');
      await new Promise((resolve) => setTimeout(resolve, 1000));
      const text = await (await fetch(`${url}/metrics`)).text();
      const read = (name: string) =>
        Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1] ?? NaN);
      return {
        rssMb: Math.round(read('process_resident_memory_bytes') / 1e5) / 10,
        heapMb: Math.round(read('nodejs_heap_size_used_bytes') / 1e5) / 10,
      };
    },
    stop,
  };
}
