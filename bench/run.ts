import autocannon from 'autocannon';
import type { ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { isDeepStrictEqual } from 'node:util';
import pg from 'pg';
import { signToken } from '../src/auth/sign-token';
import { loadConfig } from '../src/config';
import { loadCatalog } from './catalog';
import { machineSpeedMicros } from './machine-speed';
import { checkBaselinePlans } from './plans';
import {
  comparable,
  installPeers,
  PEERS,
  startPeer,
  waitForPeer,
  type Peer,
  type PeerDocument,
} from './peers/peers';
import {
  BENCH_SECRET,
  benchServerEnv,
  CLOCK_TICKS,
  cpuTicks,
  CYCLE,
  databaseCpuTicks,
  localPostmasterPid,
  freePort,
  graphqlRequests,
  isWrite,
  median,
  nextWrite,
  round2,
  start,
  startBenchDatabase,
  startTraceSink,
  stopChildren,
  waitFor,
} from './harness';
import { buildServer, productionServerArgs } from './server-command';
import { graphqlBody, WORKLOADS, type Workload } from './workloads';

/**
 * `npm run bench`: the GraphQL server against a hand-written Fastify + pg baseline, on the same
 * deterministic catalog (20 categories, 10,000 products, 50,000 reviews), in one run. Prints a
 * table and writes bench/results/latest.{json,md}. BENCH_DATABASE_URL uses another PostgreSQL;
 * BENCH_WORKLOADS (e.g. `W1,W3`) times only those workloads, for comparing one change quickly.
 *
 * Each step (a workload at a number of connections) alternates the two servers: BENCH_ROUNDS
 * rounds (default 5) of a BENCH_SECONDS slot (default 3) each, the order flipped every round.
 * This shared VM's speed drifts within minutes; a ratio taken from adjacent slots, and the
 * median of the rounds' ratios, leaves less of that drift in the figure than one slot each.
 *
 * `npm run bench -- --peers` also runs PostGraphile 5 and 4 (bench/peers/) in the same rounds,
 * each its own slot, the order rotated every round (bench/README.md#peers).
 */

const SECONDS = Number(process.env.BENCH_SECONDS ?? 3);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
/**
 * Each server's warm-up on a workload's first step (BENCH_WARMUP_SECONDS, default 10), and 2 s on
 * its later steps (the same documents, more connections). The figures are meant for servers that
 * have run a while: on Node 20 ours takes ~9 s of W3 to settle (its first 3 s cost twice the
 * settled CPU per request), and every server gets the same warm-up.
 */
const WARMUP_SECONDS = Number(process.env.BENCH_WARMUP_SECONDS ?? 10);
const REWARM_SECONDS = 2;
const TIMED = WORKLOADS.filter(
  (w) => !process.env.BENCH_WORKLOADS || process.env.BENCH_WORKLOADS.split(',').includes(w.name),
);
const CONNECTIONS = [10, 50];
const WITH_PEERS = process.argv.includes('--peers');
/** `BENCH_TRACING=1`: the server exports its spans (OTLP over HTTP) to a sink in this process. */
const WITH_TRACING = process.env.BENCH_TRACING === '1';
const log = (line: string) => process.stdout.write(`${line}\n`);

/** One server's figures for a step, over all its slots: req/s averaged, p50 and p99 medians. */
interface Step {
  workload: string;
  target: string;
  connections: number;
  reqPerSec: number;
  p50: number;
  p99: number;
  errors: number;
  sqlPerRequest?: number;
  cpuMsPerRequest?: number;
  /** PostgreSQL's CPU ms per request over this server's slots, when the database is local. */
  databaseCpuMsPerRequest?: number;
  rssMb?: number;
}

/** One server under a step's load: what it is sent, and what each of its slots measured. */
interface Target {
  name: string;
  url: string;
  pid: number;
  requests: autocannon.Request[];
  slots: autocannon.Result[];
  /** CPU clock ticks (user + system) the process spent over its slots. */
  ticks: number;
  /** The local PostgreSQL's ticks over the same slots (databaseCpuTicks). */
  databaseTicks: number;
}

/** Our server's process and the peers beside the baseline: a peer's document for a workload. */
interface Server {
  name: string;
  url: string;
  pid: number;
  peer?: Peer;
}

/** A peer's step beside the baseline's adjacent slots, as a Row's but without the server's /metrics. */
interface PeerRow extends Step {
  ratio: number;
  roundRatios: number[];
}

/** A step of the GraphQL server beside the baseline's: the ratio is the rounds' median. */
interface Row extends Step {
  ratio: number;
  roundRatios: number[];
  base: Step;
  /** CPU ms/request read from /proc, as every other server's (cpuMsPerRequest is /metrics'). */
  procCpuMsPerRequest: number;
}

async function metrics(
  serverUrl: string,
): Promise<{ statements: number; graphqlErrors: number; cpu: number; rss: number }> {
  const text = await (await fetch(`${serverUrl}/metrics`)).text();
  const sum = (re: RegExp) => [...text.matchAll(re)].reduce((total, m) => total + Number(m[1]), 0);
  return {
    // Every statement an operation ran, BEGIN and COMMIT included (the SQL budget's count).
    statements: sum(/^graphql_operation_sql_statements_sum\{[^}]*\} (\S+)$/gm),
    // Not the load generator hanging up on requests still running when a step ends.
    graphqlErrors: sum(/^graphql_errors_total\{code="(?!CLIENT_CLOSED_REQUEST")[^"]*"\} (\S+)$/gm),
    cpu: sum(/^process_cpu_seconds_total (\S+)$/gm),
    rss: sum(/^process_resident_memory_bytes (\S+)$/gm),
  };
}

function baselineRequests(workload: Workload): autocannon.Request[] {
  return Array.from({ length: CYCLE }, (_, n): autocannon.Request => {
    const { write } = workload;
    if (!write || !isWrite(workload, n)) {
      return { method: 'GET', path: workload.baselinePath(workload.variables(n)) };
    }
    return {
      method: 'POST',
      setupRequest: (request) => ({
        ...request,
        path: write.baselinePath(write.variables(nextWrite())),
      }),
    };
  });
}

function peerRequests(workload: Workload, document: PeerDocument): autocannon.Request[] {
  return Array.from({ length: CYCLE }, (_, n): autocannon.Request => ({
    method: 'POST',
    path: '/graphql',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(document.body(workload.variables(n))),
  }));
}

/** A peer's answer, in our shape, equal to the baseline's: or the benchmark stops. */
async function assertPeerSameData(
  name: string,
  peer: string,
  baseline: () => Promise<Response>,
  theirs: () => Promise<Response>,
  toOurs: (answer: unknown) => unknown,
): Promise<void> {
  const a = comparable((await (await baseline()).json()) as never);
  const b = comparable(toOurs(await (await theirs()).json()) as never);
  if (!isDeepStrictEqual(a, b)) {
    const file = `bench/results/mismatch-${name}-${peer}.json`;
    writeFileSync(file, JSON.stringify({ baseline: a, [peer]: b }, null, 1));
    throw new Error(`${name}: ${peer} and the baseline disagree on the data (${file})`);
  }
  log(`${name}: same data from ${peer} and the baseline ✓`);
}

/** With replicas, reads carry the position they were read at: not data, and not the baseline's. */
function withoutConsistencyToken(body: unknown): unknown {
  const { extensions, ...rest } = body as { extensions?: Record<string, unknown> };
  if (!extensions?.consistency) return body;
  const { consistency: _token, ...others } = extensions;
  return Object.keys(others).length ? { ...rest, extensions: others } : rest;
}

/** The same request to both servers, once: the benchmark compares like with like, or stops. */
async function assertSameData(
  name: string,
  ours: () => Promise<Response>,
  theirs: () => Promise<Response>,
): Promise<void> {
  const [a, b] = [
    withoutConsistencyToken((await (await ours()).json()) as unknown),
    (await (await theirs()).json()) as unknown,
  ];
  if (!isDeepStrictEqual(a, b)) {
    writeFileSync(
      `bench/results/mismatch-${name}.json`,
      JSON.stringify({ ours: a, theirs: b }, null, 1),
    );
    throw new Error(`${name}: the server and the baseline disagree on the data`);
  }
  log(`${name}: same data from both ✓`);
}

async function load(
  url: string,
  requests: autocannon.Request[],
  connections: number,
  seconds: number,
) {
  return autocannon({ url, connections, duration: seconds, requests });
}

/** The issue's milestone: W1 ≥ 0.6×, W2 ≥ 0.3×, W3 ≥ 0.35×, p99 at 50 connections ≤ 3× the baseline's. */
const MILESTONE: Record<string, number> = { W1: 0.6, W2: 0.3, W3: 0.35 };

function milestone(rows: Row[]): string {
  const checks = rows
    .filter((r) => MILESTONE[r.workload] !== undefined)
    .flatMap((r) => [
      `${r.workload}@${r.connections} ${r.ratio}× ${r.ratio >= MILESTONE[r.workload]! ? '✓' : '✗'}`,
      ...(r.connections === 50
        ? [
            `${r.workload} p99@50 ${r.p99} ≤ ${3 * r.base.p99} ms ${r.p99 <= 3 * r.base.p99 ? '✓' : '✗'}`,
          ]
        : []),
    ]);
  return `Milestone (W1 ≥ 0.6×, W2 ≥ 0.3×, W3 ≥ 0.35×, p99 at 50 ≤ 3× baseline): ${checks.join(', ')}.`;
}

/**
 * Each step's servers side by side: ours, the peers, the baseline; ratios are to the baseline's
 * slot in the same round. CPU here is /proc's for every process (ours includes its /metrics scrapes).
 */
function peersTable(rows: Row[], peerRows: PeerRow[]): string {
  const line = (r: Step, ratio: string, cpu: number | undefined) =>
    `| ${r.workload} | ${r.connections} | ${r.target} | ${r.reqPerSec} | ${ratio} | ${r.p50} | ${r.p99} | ${cpu ?? ''} | ${r.databaseCpuMsPerRequest ?? ''} | ${r.errors} |`;
  return [
    '| workload | conns | server | req/s | × baseline (rounds) | p50 ms | p99 ms | CPU ms/req | PostgreSQL CPU ms/req | errors |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
    ...rows.flatMap((r) => [
      line(r, `**${r.ratio}×** (${r.roundRatios.join(', ')})`, r.procCpuMsPerRequest),
      ...peerRows
        .filter((p) => p.workload === r.workload && p.connections === r.connections)
        .map((p) => line(p, `${p.ratio}× (${p.roundRatios.join(', ')})`, p.cpuMsPerRequest)),
      line(r.base, '1×', r.base.cpuMsPerRequest),
    ]),
  ].join('\n');
}

/** The replicas have replayed the loaded catalog: their answers are then the primary's. */
async function replicasCaughtUp(primaryUrl: string): Promise<void> {
  const query = async (url: string, text: string) => {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      return (await client.query<{ lsn: string; done?: boolean }>(text)).rows[0]!;
    } finally {
      await client.end();
    }
  };
  const { lsn } = await query(primaryUrl, 'select pg_current_wal_insert_lsn()::text as lsn');
  for (const url of process.env.BENCH_REPLICA_URLS!.split(',')) {
    const check = `select pg_last_wal_replay_lsn() >= '${lsn}'::pg_lsn as done, '' as lsn`;
    while (!(await query(url.trim(), check)).done) await new Promise((r) => setTimeout(r, 100));
  }
}

async function main(): Promise<void> {
  const embedded = process.env.BENCH_DATABASE_URL ? null : await startBenchDatabase();
  const databaseUrl = process.env.BENCH_DATABASE_URL ?? embedded!.url;
  const [serverPort, baselinePort] = [await freePort(), await freePort()];
  const serverUrl = `http://127.0.0.1:${serverPort}`;
  const baselineUrl = `http://127.0.0.1:${baselinePort}`;
  const children: ChildProcess[] = [];
  const peers: Server[] = [];
  let traceSink: Awaited<ReturnType<typeof startTraceSink>> | undefined;
  try {
    if (WITH_PEERS) installPeers();
    log('building, then starting the GraphQL server as `npm start` does, and migrating…');
    buildServer();
    if (WITH_TRACING) traceSink = await startTraceSink();
    const serverEnv = {
      ...benchServerEnv(databaseUrl, serverPort),
      // Streaming replicas of BENCH_DATABASE_URL, for the figure with replicas configured.
      ...(process.env.BENCH_REPLICA_URLS && {
        DATABASE_REPLICA_URLS: process.env.BENCH_REPLICA_URLS,
      }),
      ...(traceSink && { OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: traceSink.url }),
    };
    const server = start(productionServerArgs(), serverEnv);
    children.push(server);
    await waitFor(`${serverUrl}/health/ready`);
    log('loading 20 categories, 10,000 products, 50,000 reviews…');
    await loadCatalog(databaseUrl);
    if (process.env.BENCH_REPLICA_URLS) await replicasCaughtUp(databaseUrl);
    const baselineProcess = start(['-r', '@swc-node/register', 'bench/baseline.ts'], {
      BENCH_DATABASE_URL: databaseUrl,
      PORT: String(baselinePort),
    });
    children.push(baselineProcess);
    await waitFor(`${baselineUrl}/w2`);
    if (WITH_PEERS) {
      // The peers get our server's pool: DB_POOL_MAX as it reads the same environment.
      const poolMax = loadConfig(serverEnv).DB_POOL_MAX;
      for (const peer of PEERS) {
        const port = await freePort();
        const child = startPeer(peer, { databaseUrl, port, poolMax });
        children.push(child);
        peers.push({ name: peer.name, url: `http://127.0.0.1:${port}`, pid: child.pid!, peer });
      }
      for (const { url } of peers) await waitForPeer(url);
      log(`peers: ${peers.map((p) => p.name).join(', ')} (pool of ${poolMax} each)`);
    }

    const token = await signToken(BENCH_SECRET, { sub: 'bench', name: 'Bench', roles: ['admin'] });
    const graphql =
      (body: unknown, authorized = false) =>
      () =>
        fetch(`${serverUrl}/graphql`, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            ...(authorized && { authorization: `Bearer ${token}` }),
          },
          body: JSON.stringify(body),
        });
    for (const workload of WORKLOADS) {
      const variables = workload.variables(1);
      await assertSameData(workload.name, graphql(graphqlBody(workload, variables)), () =>
        fetch(`${baselineUrl}${workload.baselinePath(variables)}`),
      );
      for (const { name, url, peer } of peers) {
        const document = peer!.documents[workload.name];
        if (!document) continue;
        await assertPeerSameData(
          workload.name,
          name,
          () => fetch(`${baselineUrl}${workload.baselinePath(variables)}`),
          () =>
            fetch(`${url}/graphql`, {
              method: 'POST',
              headers: { 'content-type': 'application/json' },
              body: JSON.stringify(document.body(variables)),
            }),
          (answer) => document.toOurs(answer),
        );
      }
      const { write } = workload;
      if (write) {
        const writeVariables = write.variables(1);
        await assertSameData(
          `${workload.name} (write)`,
          graphql({ query: write.query, variables: writeVariables }, true),
          () => fetch(`${baselineUrl}${write.baselinePath(writeVariables)}`, { method: 'POST' }),
        );
      }
    }

    const plans = await checkBaselinePlans(databaseUrl); // stops here if the baseline sorts
    log(`baseline plans:\n${plans.join('\n')}`);
    const speedBefore = machineSpeedMicros();
    log(`machine speed: ${speedBefore} µs for the fixed JS task (lower is faster)`);
    const idleRssMb = Math.round((await metrics(serverUrl)).rss / 1e6);
    // PostgreSQL's CPU per request, server by server, when it runs on this machine.
    const postmaster = await localPostmasterPid(databaseUrl);
    const rows: Row[] = [];
    const peerRows: PeerRow[] = [];
    for (const workload of TIMED) {
      for (const connections of CONNECTIONS) {
        const baseline: Target = {
          name: 'baseline',
          url: baselineUrl,
          pid: baselineProcess.pid!,
          requests: baselineRequests(workload),
          slots: [],
          ticks: 0,
          databaseTicks: 0,
        };
        const graphql: Target = {
          name: 'graphql',
          url: serverUrl,
          pid: server.pid!,
          requests: graphqlRequests(workload, token),
          slots: [],
          ticks: 0,
          databaseTicks: 0,
        };
        const peerTargets = peers.flatMap(({ name, url, pid, peer }): Target[] => {
          const document = peer!.documents[workload.name];
          return document
            ? [
                {
                  name,
                  url,
                  pid,
                  requests: peerRequests(workload, document),
                  slots: [],
                  ticks: 0,
                  databaseTicks: 0,
                },
              ]
            : [];
        });
        const targets = [baseline, graphql, ...peerTargets];
        const warmup = connections === CONNECTIONS[0] ? WARMUP_SECONDS : REWARM_SECONDS;
        log(
          `${workload.name} @${connections}: ${warmup} s warm-up, then ${ROUNDS} × ${SECONDS} s each…`,
        );
        for (const target of targets)
          await load(target.url, [...target.requests], connections, warmup);
        const served = { statements: 0, cpu: 0, rss: 0, graphqlErrors: 0 };
        for (let round = 0; round < ROUNDS; round++) {
          // Rotated every round (for two servers, flipped): each is first and last in turn.
          const order = targets.map((_, i) => targets[(i + round) % targets.length]!);
          for (const target of order) {
            const before = target === graphql ? await metrics(serverUrl) : null;
            const ticks = cpuTicks(target.pid);
            const databaseTicks = postmaster ? databaseCpuTicks(postmaster) : 0;
            target.slots.push(await load(target.url, [...target.requests], connections, SECONDS));
            target.ticks += cpuTicks(target.pid) - ticks;
            if (postmaster) target.databaseTicks += databaseCpuTicks(postmaster) - databaseTicks;
            if (before) {
              const after = await metrics(serverUrl);
              served.statements += after.statements - before.statements;
              served.cpu += after.cpu - before.cpu;
              served.rss = Math.max(served.rss, after.rss);
              // GraphQL errors are answered with 200: counted by the server, not the generator
              served.graphqlErrors += after.graphqlErrors - before.graphqlErrors;
            }
          }
        }
        const summary = (target: string, results: autocannon.Result[]): Step => ({
          workload: workload.name,
          target,
          connections,
          reqPerSec: Math.round(results.reduce((sum, r) => sum + r.requests.average, 0) / ROUNDS),
          p50: median(results.map((r) => r.latency.p50)),
          p99: median(results.map((r) => r.latency.p99)),
          // HTTP failures (and, for the server, its GraphQL errors below)
          errors: results.reduce((sum, r) => sum + r.errors + r.non2xx, 0),
        });
        const perRequestMs = (target: Target, ticks: number) =>
          round2(
            (ticks * 1000) /
              CLOCK_TICKS /
              (target.slots.reduce((sum, r) => sum + r.requests.total, 0) || 1),
          );
        const cpuMs = (target: Target) => perRequestMs(target, target.ticks);
        const databaseMs = (target: Target) =>
          postmaster ? perRequestMs(target, target.databaseTicks) : undefined;
        const ratios = (target: Target) =>
          target.slots.map((r, i) =>
            round2(r.requests.average / Math.max(baseline.slots[i]!.requests.average, 1)),
          );
        const base = {
          ...summary('baseline', baseline.slots),
          cpuMsPerRequest: cpuMs(baseline),
          databaseCpuMsPerRequest: databaseMs(baseline),
        };
        const ours = summary('graphql', graphql.slots);
        const total = graphql.slots.reduce((sum, r) => sum + r.requests.total, 0) || 1;
        const roundRatios = ratios(graphql);
        rows.push({
          ...ours,
          errors: ours.errors + served.graphqlErrors,
          // the /metrics scrapes themselves are not statements; each request's are
          sqlPerRequest: round2(served.statements / total),
          cpuMsPerRequest: round2((served.cpu * 1000) / total),
          rssMb: Math.round(served.rss / 1e6),
          ratio: round2(median(roundRatios)),
          roundRatios,
          base,
          procCpuMsPerRequest: cpuMs(graphql),
          databaseCpuMsPerRequest: databaseMs(graphql),
        });
        for (const peer of peerTargets) {
          const peerRatios = ratios(peer);
          peerRows.push({
            ...summary(peer.name, peer.slots),
            cpuMsPerRequest: cpuMs(peer),
            databaseCpuMsPerRequest: databaseMs(peer),
            ratio: round2(median(peerRatios)),
            roundRatios: peerRatios,
          });
        }
      }
    }

    log(`seed's claim: W1 with a pool, and with a new connection per request (10 connections)…`);
    const w1 = WORKLOADS[0]!;
    const pooled = await load(
      baselineUrl,
      [{ method: 'GET', path: w1.baselinePath(w1.variables(1)) }],
      10,
      SECONDS,
    );
    const unpooled = await load(
      baselineUrl,
      [{ method: 'GET', path: `/nopool${w1.baselinePath(w1.variables(1))}` }],
      10,
      SECONDS,
    );

    const speed = { before: speedBefore, after: machineSpeedMicros() };
    const peakRssMb = Math.max(idleRssMb, ...rows.map((r) => r.rssMb ?? 0));
    const table = [
      '| workload | conns | req/s (baseline) | × baseline (rounds) | p50 ms | p99 ms (baseline) | SQL/req | CPU ms/req (baseline) | PostgreSQL CPU ms/req (baseline) | RSS MB | errors |',
      '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
      ...rows.map(
        (r) =>
          `| ${r.workload} | ${r.connections} | ${r.reqPerSec} (${r.base.reqPerSec}) | ${r.ratio}× (${r.roundRatios.join(', ')}) | ${r.p50} | ${r.p99} (${r.base.p99}) | ${r.sqlPerRequest} | ${r.cpuMsPerRequest} (${r.base.cpuMsPerRequest}) | ${r.databaseCpuMsPerRequest ?? '–'} (${r.base.databaseCpuMsPerRequest ?? '–'}) | ${r.rssMb} | ${r.errors} |`,
      ),
      '',
      ...(peerRows.length ? [peersTable(rows, peerRows), ''] : []),
      `Server RSS: ${idleRssMb} MB idle → ${peakRssMb} MB peak.`,
      '',
      ...(traceSink
        ? [`Tracing on: every span exported to a local OTLP sink (${traceSink.received()}).`, '']
        : []),
      milestone(rows),
      '',
      `Machine speed (bench/machine-speed.ts, lower is faster): ${speed.before} µs before the ` +
        `timed steps, ${speed.after} µs after.`,
      '',
      `Seed's claim (baseline W1, 10 connections): pool ${Math.round(pooled.requests.average)} req/s, ` +
        `new connection per request ${Math.round(unpooled.requests.average)} req/s — ` +
        `${Math.round((pooled.requests.average / Math.max(unpooled.requests.average, 1)) * 10) / 10}× with the pool.`,
      '',
      `Baseline plans (bench/plans.ts):\n\n${plans.map((line) => `- ${line}`).join('\n')}`,
    ].join('\n');
    log(`\n${table}\n`);
    mkdirSync('bench/results', { recursive: true });
    const at = new Date().toISOString();
    // A partial run does not replace the full one bench/README.md quotes.
    const file = TIMED.length === WORKLOADS.length ? 'latest' : 'partial';
    writeFileSync(
      `bench/results/${file}.json`,
      `${JSON.stringify({ at, warmupSeconds: WARMUP_SECONDS, seconds: SECONDS, rounds: ROUNDS, machineSpeedMicros: speed, rows, peerRows, pooled: pooled.requests.average, unpooled: unpooled.requests.average }, null, 2)}\n`,
    );
    writeFileSync(
      `bench/results/${file}.md`,
      `# Benchmark, ${at}\n\nEach step: a warm-up of each server (${WARMUP_SECONDS} s on a workload's first step, ${REWARM_SECONDS} s on the next), then ${ROUNDS} rounds of a ${SECONDS} s slot each, alternating; the ratio is the rounds' median.\n\n${table}\n`,
    );
  } finally {
    await stopChildren(children);
    traceSink?.server.close();
    await embedded?.stop();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
