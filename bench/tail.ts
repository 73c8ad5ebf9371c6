import autocannon from 'autocannon';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, openSync } from 'node:fs';
import { join } from 'node:path';
import { loadCatalog } from './catalog';
import {
  benchServerEnv,
  freePort,
  median,
  startBenchDatabase,
  stopChildren,
  waitFor,
} from './harness';
import { machineSpeedMicros } from './machine-speed';
import { buildServer, productionServerArgs } from './server-command';
import { graphqlBody, WORKLOADS } from './workloads';

/**
 * `node -r @swc-node/register bench/tail.ts`: where a workload's latency tail comes from. One
 * workload (TAIL_WORKLOAD, default W1) at TAIL_CONNECTIONS (50) against the baseline and one or
 * more builds of the server started side by side over the same catalog (TAIL_VARIANTS: a JSON
 * list of `{ name, flags?, env? }`: node flags added to `npm start`'s, environment added to the
 * server's), in rotated slots. Per slot: the latency percentiles; stalls (stretches with no
 * response at all) and the share of the p99 tail in flight across one; from each server's
 * /metrics its garbage collections and event-loop delay. TAIL_LOGS=dir keeps each server's
 * stdout (e.g. with `"flags": ["--trace-gc"]`). Findings: docs/performance.md#the-tail-at-50-connections
 */

interface Variant {
  name: string;
  flags?: string[];
  env?: Record<string, string>;
}

const SECONDS = Number(process.env.BENCH_SECONDS ?? 3);
/** As bench/run.ts: servers warmed this long first, so the slots see them settled. */
const WARMUP_SECONDS = Number(process.env.BENCH_WARMUP_SECONDS ?? 10);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const CONNECTIONS = Number(process.env.TAIL_CONNECTIONS ?? 50);
const WORKLOAD = WORKLOADS.find((w) => w.name === (process.env.TAIL_WORKLOAD ?? 'W1'))!;
const VARIANTS = JSON.parse(process.env.TAIL_VARIANTS ?? '[{"name":"server"}]') as Variant[];
const log = (line: string) => process.stdout.write(`${line}\n`);

/** The figures of prom-client's default metrics a slot's tail is read against. */
interface Runtime {
  gc: Record<string, { count: number; seconds: number }>;
  loopP99Ms: number;
  loopMaxMs: number;
  cpu: number;
}

async function runtime(url: string): Promise<Runtime> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const value = (name: string) => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1] ?? 0);
  const gc: Runtime['gc'] = {};
  for (const [, kind, count] of text.matchAll(
    /^nodejs_gc_duration_seconds_count\{kind="(\w+)"\} (\S+)$/gm,
  )) {
    const seconds = new RegExp(`^nodejs_gc_duration_seconds_sum\\{kind="${kind}"\\} (\\S+)$`, 'm');
    gc[kind!] = { count: Number(count), seconds: Number(seconds.exec(text)?.[1] ?? 0) };
  }
  // prom-client resets its event-loop histogram on every scrape: these cover the slot alone.
  return {
    gc,
    loopP99Ms: value('nodejs_eventloop_lag_p99_seconds') * 1000,
    loopMaxMs: value('nodejs_eventloop_lag_max_seconds') * 1000,
    cpu: value('process_cpu_seconds_total'),
  };
}

interface Target {
  name: string;
  url: string;
  requests: autocannon.Request[];
  metrics: boolean;
  rows: string[][];
}

/** No response at all for this long, with every connection waiting: the server stood still. */
const GAP_MS = 10;

/** Stretches of a slot in which no response completed (GC pauses, the CPU taken by others). */
function completionGaps(responses: [number, number][]) {
  const gaps = responses.slice(1).map(([at], i) => at - responses[i]![0]);
  const long = gaps.filter((gap) => gap >= GAP_MS).sort((a, b) => b - a);
  // A stall delays every connection's request at once: the slowest 1 % (the p99) is about
  // k stalls' worth of requests, so the k-th longest stall is what the p99 reads.
  const k = Math.max(1, Math.ceil((0.01 * responses.length) / CONNECTIONS));
  return {
    count: long.length,
    totalMs: Math.round(long.reduce((sum, gap) => sum + gap, 0)),
    maxMs: Math.round(long[0] ?? 0),
    k,
    kthMs: Math.round(long[k - 1] ?? 0),
  };
}

/**
 * Of the responses at or over the slot's p99, the share that was in flight across such a gap
 * (it started before the gap ended and ended after it): the tail a stall explains.
 */
function tailShare(responses: [number, number][], p99: number): string {
  const gaps: [number, number][] = [];
  for (let i = 1; i < responses.length; i++) {
    const [from, to] = [responses[i - 1]![0], responses[i]![0]];
    if (to - from >= GAP_MS) gaps.push([from, to]);
  }
  const tail = responses.filter(([, latency]) => latency >= p99);
  const explained = tail.filter(([end, latency]) =>
    gaps.some(([, to]) => end - latency < to && end >= to),
  );
  return tail.length ? `${Math.round((explained.length / tail.length) * 100)} %` : '';
}

async function main(): Promise<void> {
  const embedded = await startBenchDatabase();
  const children: ChildProcess[] = [];
  const start = (args: string[], env: Record<string, string>, logFile?: string) => {
    const out = logFile ? openSync(logFile, 'w') : 'ignore';
    const child = spawn(process.execPath, args, {
      env: { ...process.env, ...env },
      stdio: ['ignore', out, 'inherit'],
    });
    children.push(child);
    return child;
  };
  try {
    if (!process.env.TAIL_NO_BUILD) buildServer();
    const targets: Target[] = [];
    let catalogLoaded = false;
    if (process.env.TAIL_LOGS) mkdirSync(process.env.TAIL_LOGS, { recursive: true });
    for (const variant of VARIANTS) {
      const port = await freePort();
      const url = `http://127.0.0.1:${port}`;
      // The variant's node flags before the script (and after npm start's: the last one wins).
      const args = productionServerArgs();
      start(
        [...args.slice(0, -1), ...(variant.flags ?? []), ...args.slice(-1)],
        { ...benchServerEnv(embedded.url, port), ...variant.env },
        process.env.TAIL_LOGS && join(process.env.TAIL_LOGS, `${variant.name}.log`),
      );
      await waitFor(`${url}/health/ready`); // the first one migrates
      if (!catalogLoaded) {
        await loadCatalog(embedded.url);
        catalogLoaded = true;
      }
      const requests = Array.from({ length: 100 }, (_, n) => ({
        method: 'POST' as const,
        path: '/graphql',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(graphqlBody(WORKLOAD, WORKLOAD.variables(n))),
      }));
      targets.push({ name: variant.name, url, requests, metrics: true, rows: [] });
    }
    const baselinePort = await freePort();
    const baselineUrl = `http://127.0.0.1:${baselinePort}`;
    start(['-r', '@swc-node/register', 'bench/baseline.ts'], {
      BENCH_DATABASE_URL: embedded.url,
      PORT: String(baselinePort),
    });
    await waitFor(`${baselineUrl}/w2`);
    const baselineRequests = Array.from({ length: 100 }, (_, n) => ({
      method: 'GET' as const,
      path: WORKLOAD.baselinePath(WORKLOAD.variables(n)),
    }));
    targets.unshift({
      name: 'baseline',
      url: baselineUrl,
      requests: baselineRequests,
      metrics: false,
      rows: [],
    });

    /** Each response's completion time and latency, for telling stalls from slow requests. */
    const load = async (target: Target, seconds: number) => {
      const responses: [number, number][] = [];
      const result = await new Promise<autocannon.Result>((resolve, reject) => {
        const run = autocannon(
          {
            url: target.url,
            connections: CONNECTIONS,
            duration: seconds,
            requests: [...target.requests],
          },
          (error, done) => (error ? reject(error as Error) : resolve(done)),
        );
        run.on('response', (_client, _status, _bytes, latency) =>
          responses.push([performance.now(), latency]),
        );
      });
      return { result, responses };
    };
    log(`machine speed ${machineSpeedMicros()} µs; ${WORKLOAD.name} @${CONNECTIONS}, warm-up…`);
    for (const target of targets) await load(target, WARMUP_SECONDS);
    for (let round = 0; round < ROUNDS; round++) {
      const order = targets.map((_, i) => targets[(i + round) % targets.length]!);
      for (const target of order) {
        const before = target.metrics ? await runtime(target.url) : null;
        const { result, responses } = await load(target, SECONDS);
        const stalls = completionGaps(responses);
        const after = target.metrics ? await runtime(target.url) : null;
        const l = result.latency;
        const gc = (kind: string) => {
          if (!before || !after) return '';
          const n = (after.gc[kind]?.count ?? 0) - (before.gc[kind]?.count ?? 0);
          const ms = ((after.gc[kind]?.seconds ?? 0) - (before.gc[kind]?.seconds ?? 0)) * 1000;
          return `${n} / ${Math.round(ms)}`;
        };
        const cpuMs =
          before && after
            ? ((after.cpu - before.cpu) * 1000) / Math.max(result.requests.total, 1)
            : NaN;
        target.rows.push([
          target.name,
          String(round + 1),
          String(Math.round(result.requests.average)),
          String(l.p50),
          String(l.p90),
          String(l.p97_5),
          String(l.p99),
          String(l.p99_9),
          String(l.max),
          gc('minor'),
          gc('major'),
          gc('incremental'),
          after ? `${after.loopP99Ms.toFixed(1)} / ${after.loopMaxMs.toFixed(1)}` : '',
          Number.isNaN(cpuMs) ? '' : cpuMs.toFixed(3),
          `${stalls.count} / ${stalls.totalMs} / ${stalls.maxMs}`,
          `${stalls.kthMs} (${stalls.k})`,
          tailShare(responses, l.p99),
          String(result.errors + result.non2xx),
        ]);
      }
    }
    const header = `| server | round | req/s | p50 | p90 | p97.5 | p99 | p99.9 | max | GC minor n / ms | major n / ms | incremental n / ms | loop delay p99 / max ms | CPU ms/req | gaps ≥ ${GAP_MS} ms n / total / max | k-th longest gap ms (k) | p99+ across a gap | errors |`;
    log(`\n${header}\n|${' --- |'.repeat(18)}`);
    for (const target of targets) for (const row of target.rows) log(`| ${row.join(' | ')} |`);
    log('\nmedians over the rounds (req/s, p50, p90, p99, max):');
    for (const target of targets) {
      const col = (i: number) => median(target.rows.map((r) => Number(r[i])));
      log(
        `${target.name}: ${col(2)} req/s, p50 ${col(3)}, p90 ${col(4)}, p99 ${col(6)}, max ${col(8)} ms`,
      );
    }
  } finally {
    await stopChildren(children);
    await embedded.stop();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
