import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Workload } from '../workloads';

/**
 * The bench's peers (`npm run bench -- --peers`): the generated servers users would pick instead,
 * over the same database, each with its own document per workload asking for the same data in
 * the same order. They live in this folder with their own lockfile and their own Node 22
 * (PostGraphile 5 needs it), never in the project's dependencies. bench/README.md#peers
 */

const FOLDER = join(__dirname);
const NODE = join(FOLDER, 'node_modules', 'node', 'bin', 'node');

/** A peer's request for one of our workloads, and how its answer reads in our server's shape. */
export interface PeerDocument {
  body(variables: Record<string, unknown>): { query: string; variables?: Record<string, unknown> };
  /** The peer's answer in our shape (aliases do most of it; connections and ids do the rest). */
  toOurs(answer: unknown): unknown;
}

export interface Peer {
  name: string;
  script: string;
  documents: Partial<Record<string, PeerDocument>>;
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/**
 * Our ids are GraphQL `ID`s (strings), the peers' row ids `Int`s; and a cursor is each server's
 * own opaque format, so `endCursor` is compared as present or not.
 */
export function comparable(value: Json, key = ''): Json {
  if (Array.isArray(value)) return value.map((item) => comparable(item));
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, comparable(v, k)]));
  }
  if (key === 'id' && typeof value === 'number') return String(value);
  if (key === 'endCursor') return value === null ? null : 'cursor';
  return value;
}

/** W3's categories are a list in our schema, a connection's `nodes` in the peers'. */
const categoriesNodes = (answer: unknown) => {
  const body = answer as { data?: { categories?: { nodes: Json } } };
  return body.data?.categories
    ? { ...body, data: { ...body.data, categories: body.data.categories.nodes } }
    : answer;
};

/**
 * One peer's documents, from its names: the row-by-id field, the row id's field and its orderBy
 * value (PostGraphile 4: `productById(id:)`, `ID_DESC`; 5's amber preset: `productByRowId(rowId:)`,
 * `ROW_ID_DESC`, as `id` there is the global node id).
 */
function documents(byId: string, idArg: string, idField: string, idOrder: string) {
  const w1 = (id: string) =>
    `product: ${byId}(${idArg}: ${id}) { id: ${idField} sku name price stock category: categoryByCategoryId { id: ${idField} name } }`;
  const newest = `orderBy: [CREATED_AT_DESC, ${idOrder}_DESC]`;
  const asIs = (answer: unknown) => answer;
  return {
    W1: {
      body: (v) => ({
        query: `query W1($id: Int!) { ${w1('$id')} }`,
        variables: { id: Number(v.id) },
      }),
      toOurs: asIs,
    },
    W1L: {
      body: (v) => ({ query: `query W1 { ${w1(String(Number(v.id)))} }` }),
      toOurs: asIs,
    },
    W2: {
      body: () => ({
        query: `query W2 { products: allProducts(first: 50, ${newest}) { edges { node { id: ${idField} sku name price category: categoryByCategoryId { name } reviewCount } } pageInfo { hasNextPage endCursor } } }`,
      }),
      toOurs: asIs,
    },
    W3: {
      body: () => ({
        query: `query W3 { categories: allCategories(orderBy: [NAME_ASC, ${idOrder}_ASC]) { nodes { id: ${idField} name products: productsByCategoryId(first: 10, ${newest}) { edges { node { id: ${idField} name reviews: reviewsByProductId(first: 3, ${newest}) { edges { node { id: ${idField} rating title author } } } } } } } } }`,
      }),
      toOurs: categoriesNodes,
    },
    // W4 is not run for peers: our updateProduct also bumps `version` and `updated_at` (the
    // ORM's optimistic lock, no trigger), which a generated patch of `stock` does not do.
  } satisfies Record<string, PeerDocument>;
}

export const PEERS: Peer[] = [
  {
    name: 'postgraphile5',
    script: 'pg5.js',
    documents: documents('productByRowId', 'rowId', 'rowId', 'ROW_ID'),
  },
  {
    name: 'postgraphile4',
    script: 'pg4.js',
    documents: documents('productById', 'id', 'id', 'ID'),
  },
];

/** Installs the peers from their lockfile on first use. */
export function installPeers(): void {
  if (existsSync(join(FOLDER, 'node_modules'))) return;
  execFileSync('npm', ['ci', '--prefix', FOLDER, '--no-audit', '--no-fund'], { stdio: 'inherit' });
}

export function startPeer(
  peer: Peer,
  env: { databaseUrl: string; port: number; poolMax: number },
): ChildProcess {
  return spawn(NODE, [peer.script], {
    cwd: FOLDER,
    env: {
      ...process.env,
      NODE_ENV: 'production',
      GRAPHILE_ENV: 'production',
      BENCH_DATABASE_URL: env.databaseUrl,
      PORT: String(env.port),
      POOL_MAX: String(env.poolMax),
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
}

/** A peer is ready when it answers a GraphQL request. */
export async function waitForPeer(url: string): Promise<void> {
  for (let i = 0; i < 400; i++) {
    const status = await fetch(`${url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"query":"{ __typename }"}',
    }).then(
      (r) => r.status,
      () => 0,
    );
    if (status === 200) return;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`${url} did not become ready`);
}

/** The workloads a peer has a document for. */
export const peerRuns = (peer: Peer, workload: Workload) => peer.documents[workload.name];
