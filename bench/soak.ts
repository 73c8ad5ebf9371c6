import autocannon from 'autocannon';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, chmodSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildServer, productionServerArgs } from './server-command';

/**
 * `npm run bench:soak`: 100,000 GraphQL requests against a server in its own process, reporting
 * its memory after a warm-up and after the run. Flat means no identity map, loader or context
 * outlives its request. Uses BENCH_DATABASE_URL, or an embedded PostgreSQL in a temp folder.
 */

const TOTAL = Number(process.env.SOAK_REQUESTS ?? 100_000);
const WARM_UP = Math.min(10_000, Math.floor(TOTAL / 10));
const QUERY = JSON.stringify({
  query: `query Soak { products(first: 20, orderBy: { field: RATING, direction: DESC }) {
    totalCount edges { node { id name price category { name } reviews(first: 3) { edges { node { rating } } } } }
  } }`,
});

const freePort = () =>
  new Promise<number>((resolve) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const address = probe.address();
      probe.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });

/** The server's memory after a full GC (bench/gc-on-signal.js), read from its /metrics. */
async function memory(
  url: string,
  server: ChildProcess,
): Promise<{ rssMb: number; heapMb: number }> {
  server.kill('SIGUSR2');
  await new Promise((resolve) => setTimeout(resolve, 1000));
  const text = await (await fetch(`${url}/metrics`)).text();
  const read = (name: string) => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1] ?? NaN);
  return {
    rssMb: Math.round(read('process_resident_memory_bytes') / 1e5) / 10,
    heapMb: Math.round(read('nodejs_heap_size_used_bytes') / 1e5) / 10,
  };
}

function load(url: string, amount: number): Promise<autocannon.Result> {
  return autocannon({
    url: `${url}/graphql`,
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: QUERY,
    connections: 20,
    amount,
  });
}

async function main(): Promise<void> {
  buildServer();
  const dataDir = mkdtempSync(join(tmpdir(), 'catalog-soak-'));
  chmodSync(dataDir, 0o755);
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const server = spawn(
    process.execPath,
    ['--expose-gc', '-r', './bench/gc-on-signal.js', ...productionServerArgs()],
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
      },
      stdio: ['ignore', 'inherit', 'inherit'],
    },
  );
  try {
    for (let i = 0; ; i++) {
      if (
        (await fetch(`${url}/health/ready`).then(
          (r) => r.status,
          () => 0,
        )) === 200
      )
        break;
      if (i > 240) throw new Error('server did not become ready');
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    const start = await memory(url, server);
    process.stdout.write(`warm-up: ${WARM_UP} requests…\n`);
    await load(url, WARM_UP);
    const warm = await memory(url, server);
    process.stdout.write(`soak: ${TOTAL} requests…\n`);
    const result = await load(url, TOTAL);
    const end = await memory(url, server);
    const failed = result.errors + result.non2xx;
    process.stdout.write(
      [
        '',
        `| point (after a full GC) | RSS MB | heap used MB |`,
        `| --- | --- | --- |`,
        `| idle, after start | ${start.rssMb} | ${start.heapMb} |`,
        `| after ${WARM_UP} warm-up requests | ${warm.rssMb} | ${warm.heapMb} |`,
        `| after ${TOTAL} more | ${end.rssMb} | ${end.heapMb} |`,
        '',
        `${result.requests.total} requests, ${failed} failed, ${Math.round(result.requests.average)} req/s, ` +
          `p99 ${result.latency.p99} ms. Heap growth over the soak: ${Math.round((end.heapMb - warm.heapMb) * 10) / 10} MB.`,
        '',
      ].join('\n'),
    );
    if (failed > 0) process.exitCode = 1;
  } finally {
    server.kill('SIGTERM');
    await new Promise((resolve) => server.once('exit', resolve));
    rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
