import autocannon from 'autocannon';
import { buildServer } from './server-command';
import { startSoakServer } from './soak-server';

/**
 * `npm run bench:soak`: 100,000 GraphQL requests against a server in its own process, reporting
 * its memory after a warm-up and after the run. Flat means no identity map, loader or context
 * outlives its request. Uses BENCH_DATABASE_URL, or an embedded PostgreSQL in a temp folder.
 * (`npm run bench:soak:documents` does the same for what clients' documents leave behind.)
 */

const TOTAL = Number(process.env.SOAK_REQUESTS ?? 100_000);
const WARM_UP = Math.min(10_000, Math.floor(TOTAL / 10));
const QUERY = JSON.stringify({
  query: `query Soak { products(first: 20, orderBy: { field: RATING, direction: DESC }) {
    totalCount edges { node { id name price category { name } reviews(first: 3) { edges { node { rating } } } } }
  } }`,
});

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
  const server = await startSoakServer();
  const { url } = server;
  try {
    const start = await server.memory();
    process.stdout.write(`warm-up: ${WARM_UP} requests…\n`);
    await load(url, WARM_UP);
    const warm = await server.memory();
    process.stdout.write(`soak: ${TOTAL} requests…\n`);
    const result = await load(url, TOTAL);
    const end = await server.memory();
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
    await server.stop();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
