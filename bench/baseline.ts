import 'reflect-metadata';
import Fastify from 'fastify';
import pg from 'pg';
import { encodeCursor } from '../src/shared/pagination';
import { W1, W2, W2_SCOPE, W3, W4_WRITE, type BaselineStatement } from './baseline-statements';

/**
 * The practical limit of Node + PostgreSQL here: Fastify and a pg pool, one prepared statement per
 * request that returns the whole response body as JSON text, sent as PostgreSQL wrote it (no
 * JSON.parse or stringify in Node). Its answers are the GraphQL server's (run.ts checks them).
 * `/nopool/w1` opens a new connection per request: the seed's "without a pool".
 * Why it is shaped so, with figures: docs/performance.md#the-baseline.
 */
const url = process.env.BENCH_DATABASE_URL!;
const POOL_SIZE = Number(process.env.BENCH_BASELINE_POOL ?? 10);
const pool = new pg.Pool({ connectionString: url, max: POOL_SIZE });
const app = Fastify({ logger: false });

/** One row, one column: the body. rowMode 'array' spares pg building a row object. */
async function body(client: pg.Pool | pg.Client, statement: BaselineStatement, values: unknown[]) {
  const { rows } = await client.query<[string]>({
    name: statement.name,
    text: statement.text,
    values,
    rowMode: 'array',
  });
  return rows[0]![0];
}

app.get('/w1', async (request, reply) => {
  const id = Number((request.query as { id: string }).id);
  return reply.type('application/json').send(await body(pool, W1, [id]));
});

app.get('/nopool/w1', async (request, reply) => {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const id = Number((request.query as { id: string }).id);
    return reply.type('application/json').send(await body(client, W1, [id]));
  } finally {
    await client.end();
  }
});

/** Every column as PostgreSQL's text: ids are the API's ID strings already, nothing is parsed. */
const AS_TEXT = { getTypeParser: () => (text: string) => text };
type W2Row = [string, string, string, string, string, string | null, string];

app.get('/w2', async () => {
  const { rows } = await pool.query<W2Row>({
    name: W2.name,
    text: W2.text,
    values: [50],
    rowMode: 'array',
    types: AS_TEXT,
  });
  const page = rows.length > 50 ? rows.slice(0, 50) : rows;
  const last = page.at(-1);
  return {
    data: {
      products: {
        edges: page.map(([id, sku, name, price, reviewCount, category]) => ({
          node: {
            id,
            sku,
            name,
            price,
            category: category === null ? null : { name: category },
            reviewCount: Number(reviewCount),
          },
        })),
        pageInfo: {
          hasNextPage: rows.length > 50,
          endCursor: last
            ? encodeCursor(W2_SCOPE, {
                value: new Date(Number(last[6])).toISOString(),
                id: Number(last[0]),
              })
            : null,
        },
      },
    },
  };
});

app.get('/w3', async (_request, reply) =>
  reply.type('application/json').send(await body(pool, W3, [10, 3])),
);

app.post('/w4', async (request, reply) => {
  const { id, stock } = request.query as { id: string; stock: string };
  return reply
    .type('application/json')
    .send(await body(pool, W4_WRITE, [Number(id), Number(stock)]));
});

app
  .listen({ host: '127.0.0.1', port: Number(process.env.PORT) })
  .then(() => process.stdout.write('baseline ready\n'))
  .catch((error: unknown) => {
    process.stderr.write(`${String(error)}\n`);
    process.exit(1);
  });
process.on('SIGTERM', () => {
  void app
    .close()
    .then(() => pool.end())
    .then(() => process.exit(0));
});
