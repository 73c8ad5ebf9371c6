import autocannon from 'autocannon';
import { execFileSync, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import {
  benchServerEnv,
  CLOCK_TICKS,
  cpuTicks,
  freePort,
  graphqlRequests,
  median,
  start,
  startBenchDatabase,
  startTraceSink,
  waitFor,
} from './harness';
import { loadCatalog } from './catalog';
import { machineSpeedMicros } from './machine-speed';
import { buildServer, productionServerArgs } from './server-command';
import { graphqlBody, WORKLOADS } from './workloads';

/**
 * `npm run bench:ab -- <git revision> [--tracing]`: is the working tree's server faster or
 * slower than the revision's, per request? Both builds run at once on one database and take
 * turns under the same load in short slots, the order flipped every pair, so the machine's
 * drift (it is shared) falls on both alike; the figure is the median of the pairs' ratios with
 * its interquartile range, which says whether a difference is more than the noise.
 * `--tracing`: the working tree's server exports every span to a local OTLP sink (the cost of
 * tracing on). Results: bench/results/ab.md. Why: bench/README.md#ab-two-builds-side-by-side.
 */

const PAIRS = Number(process.env.BENCH_AB_PAIRS ?? 20);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 2);
const CONNECTIONS = Number(process.env.BENCH_AB_CONNECTIONS ?? 10);
const WARM_UP_SLOTS = 3;
const WORKLOAD_NAMES = (process.env.BENCH_WORKLOADS ?? 'W1,W2').split(',');
const log = (line: string) => process.stdout.write(`${line}\n`);

interface Build {
  name: string;
  dir: string;
  url: string;
  child?: ChildProcess;
}

interface Slot {
  reqPerSec: number;
  cpuMsPerRequest: number;
  p99: number;
  errors: number;
}

/** The revision's tree, beside this one, with this one's node_modules (its deps at that time). */
function checkout(revision: string, into: string): string {
  const commit = execFileSync('git', ['rev-parse', '--verify', `${revision}^{commit}`], {
    encoding: 'utf8',
  }).trim();
  execFileSync('git', ['worktree', 'add', '--detach', '--quiet', into, commit]);
  symlinkSync(resolve('node_modules'), join(into, 'node_modules'));
  return commit.slice(0, 7);
}

async function slot(build: Build, requests: autocannon.Request[]): Promise<Slot> {
  const pid = build.child!.pid!;
  const before = cpuTicks(pid);
  const result = await autocannon({
    url: build.url,
    connections: CONNECTIONS,
    duration: SECONDS,
    requests,
  });
  const ticks = cpuTicks(pid) - before;
  return {
    reqPerSec: result.requests.average,
    cpuMsPerRequest: (ticks * 1000) / CLOCK_TICKS / Math.max(result.requests.total, 1),
    p99: result.latency.p99,
    errors: result.errors + result.non2xx,
  };
}

/** The 25th, 50th and 75th percentiles (nearest rank). */
function quartiles(values: number[]): [number, number, number] {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
  return [at(0.25), median(values), at(0.75)];
}

const fixed = (value: number, digits = 3) => value.toFixed(digits);

/** A pair's ratio, B over A: the interquartile range straddling 1 means "within the noise". */
function verdict(ratios: number[], lowerIsBetter: boolean): string {
  const [q1, mid, q3] = quartiles(ratios);
  const range = `${fixed(mid)} (IQR ${fixed(q1)}–${fixed(q3)})`;
  if (q1 <= 1 && q3 >= 1) return `${range}: within the noise`;
  const better = lowerIsBetter ? mid < 1 : mid > 1;
  return `${range}: B ${better ? 'better' : 'worse'}`;
}

async function main(): Promise<void> {
  const revision = process.argv.slice(2).find((arg) => !arg.startsWith('--'));
  if (!revision) throw new Error('usage: npm run bench:ab -- <git revision> [--tracing]');
  const tracing = process.argv.includes('--tracing');
  const workloads = WORKLOADS.filter((w) => WORKLOAD_NAMES.includes(w.name) && !w.write);
  if (!workloads.length)
    throw new Error(`BENCH_WORKLOADS: no read workload in ${WORKLOAD_NAMES.join()}`);

  const work = mkdtempSync(join(tmpdir(), 'catalog-bench-ab-'));
  chmodSync(work, 0o755);
  const treeA = join(work, 'a');
  const sink = tracing ? await startTraceSink() : undefined;
  let database: Awaited<ReturnType<typeof startBenchDatabase>> | undefined;
  const builds: Build[] = [];
  try {
    const commit = checkout(revision, treeA);
    log(`building A (${revision} = ${commit}) and B (the working tree)…`);
    buildServer(treeA);
    buildServer('.');
    database = await startBenchDatabase();
    // B first: the newer tree migrates the database; A then finds it migrated.
    const b: Build = {
      name: `B (working tree${tracing ? ', tracing on' : ''})`,
      dir: '.',
      url: '',
    };
    const a: Build = { name: `A (${revision} = ${commit})`, dir: treeA, url: '' };
    for (const build of [b, a]) {
      const port = await freePort();
      build.url = `http://127.0.0.1:${port}`;
      const tracingEnv =
        build === b && sink ? { OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: sink.url } : undefined;
      build.child = start(
        productionServerArgs(build.dir),
        { ...benchServerEnv(database.url, port), ...tracingEnv },
        build.dir,
      );
      builds.push(build);
      await waitFor(`${build.url}/health/ready`);
      if (build === b) {
        log('loading 20 categories, 10,000 products, 50,000 reviews…');
        await loadCatalog(database.url);
      }
    }

    const speedBefore = machineSpeedMicros();
    const lines: string[] = [];
    for (const workload of workloads) {
      const body = JSON.stringify(graphqlBody(workload, workload.variables(1)));
      const [answerA, answerB] = await Promise.all(
        [a, b].map(async (build) => {
          const response = await fetch(`${build.url}/graphql`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body,
          });
          return ((await response.json()) as { data?: unknown }).data;
        }),
      );
      if (!answerA || !isDeepStrictEqual(answerA, answerB)) {
        throw new Error(`${workload.name}: A and B do not answer the same data`);
      }
      const requests = graphqlRequests(workload, '');
      // Warm-up, not counted: the JIT's optimised code and the pools' connections in place.
      for (let round = 0; round < WARM_UP_SLOTS; round++) {
        for (const build of [a, b]) await slot(build, requests);
      }
      const slots = new Map<Build, Slot[]>([
        [a, []],
        [b, []],
      ]);
      for (let pair = 0; pair < PAIRS; pair++) {
        for (const build of pair % 2 ? [b, a] : [a, b]) {
          slots.get(build)!.push(await slot(build, requests));
        }
      }
      const [slotsA, slotsB] = [slots.get(a)!, slots.get(b)!];
      const paired = (pick: (s: Slot) => number) =>
        slotsB.map((s, i) => pick(s) / Math.max(pick(slotsA[i]!), 1e-9));
      const errors = [...slotsA, ...slotsB].reduce((sum, s) => sum + s.errors, 0);
      const summary = (slotsOf: Slot[]) =>
        `${Math.round(median(slotsOf.map((s) => s.reqPerSec)))} req/s, ` +
        `${fixed(median(slotsOf.map((s) => s.cpuMsPerRequest)))} CPU ms/req, ` +
        `p99 ${median(slotsOf.map((s) => s.p99))} ms`;
      lines.push(
        `### ${workload.name} at ${CONNECTIONS} connections, ${PAIRS} pairs of ${SECONDS} s slots`,
        '',
        `- A: ${summary(slotsA)} (medians of slots)`,
        `- B: ${summary(slotsB)}`,
        `- B/A CPU per request: ${verdict(
          paired((s) => s.cpuMsPerRequest),
          true,
        )}`,
        `- B/A requests per second: ${verdict(
          paired((s) => s.reqPerSec),
          false,
        )}`,
        ...(errors ? [`- **${errors} errors or non-2xx answers**`] : []),
        '',
      );
      log(lines.slice(-7).join('\n'));
    }
    const speed = `${speedBefore} µs before, ${machineSpeedMicros()} µs after`;
    const report = [
      `# A/B, ${new Date().toISOString()}`,
      '',
      `A: ${a.name}. B: ${b.name}. Machine speed (bench/machine-speed.ts, lower is faster): ${speed}.`,
      ...(sink ? ['', `Spans exported by B: ${sink.received()}.`] : []),
      '',
      ...lines,
    ].join('\n');
    mkdirSync('bench/results', { recursive: true });
    writeFileSync('bench/results/ab.md', `${report}\n`);
    log(`\n${report}`);
  } finally {
    for (const build of builds) build.child?.kill('SIGTERM');
    await Promise.all(
      builds.map(
        ({ child }) =>
          new Promise((done) =>
            !child || child.exitCode !== null ? done(null) : child.once('exit', done),
          ),
      ),
    );
    sink?.server.close();
    await database?.stop();
    try {
      execFileSync('git', ['worktree', 'remove', '--force', treeA], { stdio: 'ignore' });
    } catch {
      // not checked out (a bad revision): nothing to remove
    }
    rmSync(work, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
