import 'reflect-metadata';
import Fastify from 'fastify';
import pg from 'pg';
import { productListScope } from '../src/catalog/product/product.reads';
import { DEFAULT_PRODUCT_ORDER } from '../src/catalog/product/product.inputs';
import { encodeCursor } from '../src/shared/pagination';

/**
 * The practical limit of Node + PostgreSQL here: Fastify and a pg pool of 10, one hand-written
 * statement per request, answering with the same JSON the GraphQL server does. `/nopool/w1`
 * opens a new connection per request: the seed's "without a pool".
 */
const url = process.env.BENCH_DATABASE_URL!;
/** W2's cursors are the server's: the default products list, newest first, no filter. */
const W2_CURSOR_SCOPE = productListScope(null, DEFAULT_PRODUCT_ORDER, null, null);
const pool = new pg.Pool({ connectionString: url, max: 10 });
const app = Fastify({ logger: false });

const W1 = `select p.id, p.sku, p.name, p.price::text as price, p.stock, c.id as cid, c.name as cname
  from product p left join category c on c.id = p.category_id where p.id = $1`;

interface W1Row {
  id: number;
  sku: string;
  name: string;
  price: string;
  stock: number;
  cid: number | null;
  cname: string | null;
}

interface W2Row {
  id: number;
  sku: string;
  name: string;
  price: string;
  review_count: number;
  created_at: Date;
  cname: string | null;
}

function w1Json(row: W1Row | undefined) {
  if (!row) return { data: { product: null } };
  return {
    data: {
      product: {
        id: String(row.id),
        sku: row.sku,
        name: row.name,
        price: row.price,
        stock: row.stock,
        category: row.cid == null ? null : { id: String(row.cid), name: row.cname },
      },
    },
  };
}

app.get('/w1', async (request) => {
  const { rows } = await pool.query<W1Row>(W1, [Number((request.query as { id: string }).id)]);
  return w1Json(rows[0]);
});

app.get('/nopool/w1', async (request) => {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<W1Row>(W1, [Number((request.query as { id: string }).id)]);
    return w1Json(rows[0]);
  } finally {
    await client.end();
  }
});

app.get('/w2', async () => {
  const { rows } = await pool.query<W2Row>(
    `select p.id, p.sku, p.name, p.price::text as price, p.review_count, p.created_at, c.name as cname
       from product p left join category c on c.id = p.category_id
      order by p.created_at desc, p.id desc limit 51`,
  );
  const page = rows.slice(0, 50);
  const last = page.at(-1);
  return {
    data: {
      products: {
        edges: page.map((r) => ({
          node: {
            id: String(r.id),
            sku: r.sku,
            name: r.name,
            price: r.price,
            category: r.cname == null ? null : { name: r.cname },
            reviewCount: r.review_count,
          },
        })),
        pageInfo: {
          hasNextPage: rows.length > 50,
          endCursor: last
            ? encodeCursor(W2_CURSOR_SCOPE, {
                value: last.created_at.toISOString(),
                id: last.id,
              })
            : null,
        },
      },
    },
  };
});

// updateProduct(id, { stock }) { id stock }: one UPDATE, as the mutation's optimistic-lock bump.
app.post('/w4', async (request) => {
  const { id, stock } = request.query as { id: string; stock: string };
  const { rows } = await pool.query<{ id: number; stock: number }>(
    `update product set stock = $2, version = version + 1, updated_at = now()
      where id = $1 returning id, stock`,
    [Number(id), Number(stock)],
  );
  const row = rows[0];
  return { data: { updateProduct: row ? { id: String(row.id), stock: row.stock } : null } };
});

app.get('/w3', async () => {
  const { rows } = await pool.query<{ body: unknown }>(`
    select json_build_object('data', json_build_object('categories', coalesce(json_agg(
      json_build_object('id', c.id::text, 'name', c.name, 'products', json_build_object('edges', (
        select coalesce(json_agg(json_build_object('node', json_build_object(
                 'id', p.id::text, 'name', p.name,
                 'reviews', json_build_object('edges', (
                   select coalesce(json_agg(json_build_object('node', json_build_object(
                            'id', r.id::text, 'rating', r.rating, 'title', r.title, 'author', r.author))
                          order by r.created_at desc, r.id desc), '[]')
                     from (select * from review where product_id = p.id
                            order by created_at desc, id desc limit 3) r))))
               order by p.created_at desc, p.id desc), '[]')
          from (select * from product where category_id = c.id
                 order by created_at desc, id desc limit 10) p)))
      order by c.name, c.id), '[]'))) as body
    from category c`);
  return rows[0]?.body;
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
