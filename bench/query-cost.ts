/**
 * The cost check's CPU, in-process: `node -r @swc-node/register bench/query-cost.ts`.
 * W1–W3 costed afresh (a new parsed document each time, as for a document Apollo has not seen)
 * and from the cost cache (the same document again), and the fragment-heavy document of issue
 * 17 (20 aliases of a deep list behind 20 × 20 × 20 fragment spreads). Results: docs/performance.md#cost-cache.
 */
import 'reflect-metadata';
import { readFileSync } from 'node:fs';
import { buildSchema, getOperationAST, parse } from 'graphql';
import { QueryCost } from '../src/graphql/query-cost';
import { SCHEMA_FILE } from '../src/graphql/schema';
import { WORKLOADS } from './workloads';

const schema = buildSchema(readFileSync(SCHEMA_FILE, 'utf8'));
const cost = new QueryCost(schema, 10_000);

const spreads = (fragment: string) => ` ...${fragment}`.repeat(20);
let deep = 'id';
for (let i = 0; i < 5; i++)
  deep = `products(first: 100) { edges { node { category { ${deep} } } } }`;
const aliases = Array.from({ length: 20 }, (_, i) => `a${i}: categories { ...F0 }`).join(' ');
const FRAGMENTS = `query Fragments { ${aliases} }
  fragment F0 on Category {${spreads('F1')} }
  fragment F1 on Category {${spreads('F2')} }
  fragment F2 on Category {${spreads('F3')} }
  fragment F3 on Category { ${deep} }`;

/** Microseconds per call of `run` over `n` calls, the best of three rounds. */
function time(n: number, run: (i: number) => void): number {
  let best = Infinity;
  for (let round = 0; round < 3; round++) {
    const start = process.hrtime.bigint();
    for (let i = 0; i < n; i++) run(i);
    best = Math.min(best, Number(process.hrtime.bigint() - start) / n / 1000);
  }
  return best;
}

const documents = [
  ...WORKLOADS.filter((w) => /^W[123]$/.test(w.name)).map((w) => ({
    name: w.name,
    query: w.query,
    variables: w.variables(0),
  })),
  { name: 'Fragments', query: FRAGMENTS, variables: {} },
];
for (const { name, query, variables } of documents) {
  const n = name === 'Fragments' ? 500 : 5_000;
  const request = { variables };
  const parsed = Array.from({ length: n * 3 }, () => parse(query));
  let next = 0;
  const afresh = time(n, () => {
    const document = parsed[next++]!;
    cost.refusal(document, getOperationAST(document)!, request);
  });
  const document = parse(query);
  const operation = getOperationAST(document)!;
  const cached = time(n * 10, () => cost.refusal(document, operation, request));
  const refusal = cost.refusal(document, operation, request);
  const outcome = refusal ? `refused: ${refusal.message}` : 'allowed';
  process.stdout.write(
    `${name}: afresh ${afresh.toFixed(1)} µs, cached ${cached.toFixed(2)} µs (${outcome})\n`,
  );
}
