import { buildServer } from './server-command';
import { startSoakServer, type SoakServer } from './soak-server';

/**
 * `npm run bench:soak:documents`: what distinct documents leave behind. A client that never
 * sends the same text twice (a scan, an attacker, a client building documents with literals)
 * must not grow the server: every cache of documents is bounded in bytes and a document over
 * GRAPHQL_MAX_DOCUMENT_BYTES is refused before parsing. Sends, each twice (the second run of a
 * document compiles it):
 *   1. SOAK_SMALL (20,000) distinct small queries;
 *   2. SOAK_LARGE (2,000) distinct 200 KB comment-padded queries, refused (over the limit);
 *   3. the same, to a second server whose document limit lets them in (256 KiB): parsed,
 *      validated and kept, so the caches' own bounds are what holds memory.
 * Fails (exit 1) if a server dies, a request fails unexpectedly, or RSS after a full GC ends
 * above SOAK_RSS_LIMIT_MB (400: ~150 MB of a warm server plus the caches' default budgets,
 * 32 + 64 + 16 MB, and room for V8's own overhead).
 */

const SMALL = Number(process.env.SOAK_SMALL ?? 20_000);
const LARGE = Number(process.env.SOAK_LARGE ?? 2_000);
const RSS_LIMIT_MB = Number(process.env.SOAK_RSS_LIMIT_MB ?? 400);
const CONCURRENCY = 16;
const PADDING = 'x'.repeat(200 * 1024);

const small = (i: number) =>
  `query Small${i} { product(id: ${(i % 300) + 1}) { id name price category { id name } } }`;
const large = (i: number) =>
  `# ${PADDING}\nquery Large${i} { product(id: ${(i % 300) + 1}) { id } }`;

/** Sends each document twice, CONCURRENCY at a time; counts the answers by status. */
async function sendEach(
  server: SoakServer,
  count: number,
  document: (i: number) => string,
): Promise<Map<number, number>> {
  const statuses = new Map<number, number>();
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < count; i = next++) {
      for (let run = 0; run < 2; run++) {
        const response = await fetch(`${server.url}/graphql`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ query: document(i) }),
        }).catch(() => undefined);
        await response?.arrayBuffer();
        const status = response?.status ?? 0;
        statuses.set(status, (statuses.get(status) ?? 0) + 1);
      }
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  return statuses;
}

const describe = (statuses: Map<number, number>) =>
  [...statuses].map(([status, n]) => `${n} × ${status || 'no answer'}`).join(', ');

async function main(): Promise<void> {
  buildServer();
  const rows: string[] = [];
  const problems: string[] = [];
  const check = async (
    server: SoakServer,
    point: string,
    expected: number,
    got: Map<number, number>,
  ) => {
    const memory = server.alive() ? await server.memory() : undefined;
    rows.push(
      `| ${point} | ${memory?.rssMb ?? 'dead'} | ${memory?.heapMb ?? 'dead'} | ${describe(got)} |`,
    );
    if (!memory) problems.push(`${point}: the server died`);
    else if (memory.rssMb > RSS_LIMIT_MB) problems.push(`${point}: RSS ${memory.rssMb} MB`);
    const unexpected = [...got].filter(([status]) => status !== expected);
    if (unexpected.length) problems.push(`${point}: ${describe(new Map(unexpected))}`);
  };

  /** On a fresh server: each step's documents sent twice, then its memory checked. */
  const soak = async (
    label: string,
    env: Record<string, string>,
    steps: { point: string; count: number; document: (i: number) => string; status: number }[],
  ) => {
    const server = await startSoakServer(env);
    try {
      rows.push(`| ${label}, idle | ${(await server.memory()).rssMb} | – | |`);
      for (const { point, count, document, status } of steps) {
        process.stdout.write(`${label}: ${point}…\n`);
        await check(server, point, status, await sendEach(server, count, document));
      }
    } finally {
      await server.stop();
    }
  };
  await soak('default server', {}, [
    { point: `${SMALL} small documents ×2`, count: SMALL, document: small, status: 200 },
    { point: `${LARGE} 200 KB documents ×2, refused`, count: LARGE, document: large, status: 413 },
  ]);
  await soak('a server taking 256 KiB documents', { GRAPHQL_MAX_DOCUMENT_BYTES: '262144' }, [
    { point: `${LARGE} 200 KB documents ×2, accepted`, count: LARGE, document: large, status: 200 },
  ]);

  process.stdout.write(
    [
      '',
      '| point (after a full GC) | RSS MB | heap used MB | answers |',
      '| --- | --- | --- | --- |',
      ...rows,
      '',
      problems.length ? `FAILED: ${problems.join('; ')}` : `RSS stayed under ${RSS_LIMIT_MB} MB.`,
      '',
    ].join('\n'),
  );
  if (problems.length) process.exitCode = 1;
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
