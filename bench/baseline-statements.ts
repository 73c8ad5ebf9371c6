import 'reflect-metadata';
import { DEFAULT_PRODUCT_ORDER } from '../src/catalog/product/product.inputs';
import { productListScope } from '../src/catalog/product/product.reads';

/**
 * The baseline's statements: one per request, each building the whole response body as JSON text
 * in PostgreSQL (`::text`, so `pg` hands the body over without JSON.parse and Fastify sends it as
 * is). Shared by bench/baseline.ts, which runs them, and bench/plans.ts, which EXPLAINs them.
 *
 * Lists are aggregated from a subquery that is already in index order (ORDER BY + LIMIT), without
 * an ORDER BY inside json_agg: PostgreSQL then reads each page off its index and sorts nothing
 * (its docs: a sorted subquery feeds an aggregate in order). run.ts checks every answer equal to
 * the server's before timing, so an order that came out different would stop the bench.
 */
export interface BaselineStatement {
  /** The prepared statement's name (pg prepares it once per connection). */
  name: string;
  text: string;
  /** Values for EXPLAIN: any request's, the plan does not depend on them. */
  sample: unknown[];
}

/** W1, W1L and W4's reads: `product(id) { id sku name price stock category { id name } }`. */
export const W1: BaselineStatement = {
  name: 'w1',
  text: `select json_build_object('data', json_build_object('product', (
      select json_build_object('id', p.id::text, 'sku', p.sku, 'name', p.name,
               'price', p.price::text, 'stock', p.stock,
               'category', case when c.id is null then null
                                else json_build_object('id', c.id::text, 'name', c.name) end)
        from product p left join category c on c.id = p.category_id
       where p.id = $1)))::text`,
  sample: [1234],
};

/** The server's cursor scope for W2's list (default order, no filter, no search). */
export const W2_SCOPE = productListScope(null, DEFAULT_PRODUCT_ORDER, null, null);

/**
 * W2: `products(first: 50)` newest first, with the category's name and reviewCount, as rows: this
 * page is answered faster by Node serialising 51 short rows than by PostgreSQL's json_build_object
 * (docs/performance.md#the-baseline). Every column comes back as text (see baseline.ts).
 */
export const W2: BaselineStatement = {
  name: 'w2',
  text: `select p.id, p.sku, p.name, p.price, p.review_count, c.name,
                round(date_part('epoch', p.created_at) * 1000)::bigint
           from (select id, sku, name, price, review_count, created_at, category_id from product
                  order by created_at desc, id desc limit $1 + 1) p
           left join category c on c.id = p.category_id
          order by p.created_at desc, p.id desc`,
  sample: [50],
};

/**
 * W3: `categories → products(first: 10) → reviews(first: 3)`: each category's newest products
 * off (category_id, created_at, id), each product's newest reviews off
 * (product_id, created_at desc, id desc); only the 20 categories are sorted (by name).
 */
export const W3: BaselineStatement = {
  name: 'w3',
  text: `select json_build_object('data', json_build_object('categories', coalesce(json_agg(
      json_build_object('id', c.id::text, 'name', c.name, 'products', json_build_object('edges', (
        select coalesce(json_agg(json_build_object('node', json_build_object(
                 'id', p.id::text, 'name', p.name,
                 'reviews', json_build_object('edges', (
                   select coalesce(json_agg(json_build_object('node', json_build_object(
                            'id', r.id::text, 'rating', r.rating, 'title', r.title, 'author', r.author))), '[]')
                     from (select id, rating, title, author from review where product_id = p.id
                            order by created_at desc, id desc limit $2) r))))), '[]')
          from (select id, name from product where category_id = c.id
                 order by created_at desc, id desc limit $1) p)))), '[]')))::text
    from (select id, name from category order by name, id) c`,
  sample: [10, 3],
};

/**
 * W4's write: `updateProduct(id, { stock }) { id stock }` with the mutation's effect. MikroORM
 * writes only a changed product (then stock, version + 1 and updated_at), so an unchanged stock
 * writes nothing here either; the answer is the row as it is after the statement.
 */
export const W4_WRITE: BaselineStatement = {
  name: 'w4',
  text: `with changed as (
      update product set stock = $2, version = version + 1, updated_at = now()
       where id = $1 and stock <> $2
      returning id, stock)
    select json_build_object('data', json_build_object('updateProduct', (
      select json_build_object('id', x.id::text, 'stock', x.stock)
        from (select id, stock from changed
              union all
              select id, stock from product where id = $1 and not exists (select from changed)) x
       limit 1)))::text`,
  sample: [1234, 7],
};

export const BASELINE_STATEMENTS = [W1, W2, W3, W4_WRITE];
