import pg from 'pg';

/** The bench's fixed catalog: 20 categories, 10,000 products, 50,000 reviews, then VACUUM ANALYZE. */
export async function loadCatalog(url: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(`insert into category (slug, name, created_at)
      select 'category-' || g, 'Category ' || lpad(g::text, 2, '0'), '2026-01-01'
        from generate_series(1, 20) g`);
    await client.query(`insert into product (sku, name, description, price, stock, category_id, created_at, updated_at)
      select 'SKU-' || lpad(g::text, 5, '0'), 'Product ' || g, 'Description of product ' || g,
             ((g * 37) % 100000) / 100.0 + 1, g % 50, ((g - 1) / 500) + 1,
             timestamp '2026-01-01' + g * interval '1 minute', timestamp '2026-01-01' + g * interval '1 minute'
        from generate_series(1, 10000) g`);
    // The rollup trigger would run 50,000 times: load, then compute the counts once.
    await client.query('alter table review disable trigger review_rollup');
    await client.query(`insert into review (product_id, rating, title, body, author, created_at)
      select ((g - 1) / 5) + 1, (g % 5) + 1, 'Review ' || g, 'Body of review ' || g, 'user' || (g % 97),
             timestamp '2026-02-01' + g * interval '1 second'
        from generate_series(1, 50000) g`);
    await client.query('alter table review enable trigger review_rollup');
    await client.query(`update product p set review_count = s.n, rating_average = s.avg
      from (select product_id, count(*)::int as n, round(avg(rating), 4) as avg from review group by product_id) s
      where s.product_id = p.id`);
    await client.query('vacuum analyze');
  } finally {
    await client.end();
  }
}
