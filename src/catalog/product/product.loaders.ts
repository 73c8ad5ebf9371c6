import { raw, type EntityManager } from '@mikro-orm/postgresql';
import DataLoader from 'dataloader';
import { groupBy, intArrayParam } from '../../shared/batching';
import { HeldLoader } from '../../shared/held-loader';
import { Product } from './product.entity';
import type { ProductPageQuery } from './product.reads';
import type { CategoryLoader } from '../category/category.loaders';
import {
  categoryOfProductRow,
  productAndCategory,
  productColumns,
  ProductView,
  type ProductAndCategoryRow,
  type ProductRow,
} from './product.view';
import { ByIdStatement, RenderedStatements, selectRows } from '../../shared/sql';

export interface CategoryPageKey {
  categoryId: number;
  query: ProductPageQuery;
}

const pageKeyOf = (k: CategoryPageKey) => `${k.categoryId}@${k.query.key}`;
const countKeyOf = (k: CategoryPageKey) => `${k.categoryId}@${k.query.filterKey}`;

/** Each recent query's page of one category (`parent.id`), rendered once. */
const categoryPageStatements = new RenderedStatements();

/**
 * A page of products for every category in a response (`categories { products(first: 10) }`),
 * in one statement per distinct query: the page query runs once per category inside a LATERAL
 * join, so it keeps its index-ordered LIMIT instead of ranking whole categories.
 */
export function createCategoryPageLoader(em: EntityManager) {
  return new DataLoader<CategoryPageKey, ProductView[], string>(
    async (keys) => {
      // Per query, each category's page by its id: no key string is built per row.
      const pages = new Map<string, Map<number, ProductView[]>>();
      for (const group of groupBy(keys, (k) => k.query.key)) {
        const { query } = group[0]!; // the same for the whole group
        const page = categoryPageStatements.get(query.key, () =>
          em
            .createQueryBuilder(Product, 'p')
            .select(raw(productColumns('p')))
            .where(query.pageWhere())
            .andWhere(raw('p.category_id = parent.id'))
            .orderBy(query.sort.orderBy())
            .limit(query.readsMore ? query.page.size + 1 : query.page.size)
            .getKnexQuery()
            .toSQL(),
        ); // `?` placeholders, as the outer statement uses
        const rows = await selectRows<ProductRow>(
          em,
          `select page.* from unnest(?::int[]) as parent(id) cross join lateral (${page.sql}) page`,
          [intArrayParam(group.map((k) => k.categoryId)), ...page.bindings],
        );
        const byCategory = new Map<number, ProductView[]>(group.map((k) => [k.categoryId, []]));
        for (const row of rows) byCategory.get(row.categoryId!)?.push(new ProductView(row));
        pages.set(query.key, byCategory);
      }
      return keys.map((k) => pages.get(k.query.key)?.get(k.categoryId) ?? []);
    },
    { cacheKeyFn: pageKeyOf },
  );
}

const { columns, join } = productAndCategory('p');
const productsById = new ByIdStatement(
  'products_by_id',
  (condition) => `select ${columns} from product p ${join} where p.id ${condition}`,
);

/**
 * Products by id (`product(id)`, `Review.product`): one statement for every id asked in a tick,
 * with each product's category, which primes the category loader. A `products` page primes this
 * loader with the rows it read, so `Review.product` under it reads nothing again.
 */
export function createProductLoader(em: EntityManager, categories: CategoryLoader) {
  return new HeldLoader<number, ProductView | null>(async (ids) => {
    const rows = await productsById.read<ProductAndCategoryRow>(em, ids);
    const byId = new Map(productViews(rows, categories).map((p) => [p.id, p]));
    return ids.map((id) => byId.get(id) ?? null);
  });
}

/** Products read with their categories: the categories go to the request's category loader. */
export function productViews(
  rows: readonly ProductAndCategoryRow[],
  categories: CategoryLoader,
): ProductView[] {
  return rows.map((row) => {
    const category = categoryOfProductRow(row);
    if (category) categories.prime(category.id, category);
    return new ProductView(row);
  });
}

/** totalCount of those pages (and Category.productCount): one GROUP BY per distinct filter. */
export function createCategoryCountLoader(em: EntityManager) {
  return new DataLoader<CategoryPageKey, number, string>(
    async (keys) => {
      const counts = new Map<string, number>();
      for (const group of groupBy(keys, (k) => k.query.filterKey)) {
        const { query } = group[0]!; // the same filter for the whole group
        const rows = await em
          .createQueryBuilder(Product, 'p')
          .select(['p.category_id', raw('count(*)::int as total')])
          .where({ $and: [query.where(), { category: { $in: group.map((k) => k.categoryId) } }] })
          .groupBy('p.category_id')
          .execute<{ category_id: number; total: number }[]>('all', false);
        for (const row of rows) {
          counts.set(countKeyOf({ categoryId: row.category_id, query }), row.total);
        }
      }
      return keys.map((k) => counts.get(countKeyOf(k)) ?? 0);
    },
    { cacheKeyFn: countKeyOf },
  );
}

export interface HighlightKey {
  productId: number;
  text: string;
}

/**
 * `highlight` of every edge of a search page, in one statement: ts_headline over the product's
 * name and description, HTML-escaped first so only our <mark> tags are markup.
 */
export function createSearchHighlightLoader(em: EntityManager) {
  return new DataLoader<HighlightKey, string | null, string>(
    async (keys) => {
      const text = keys[0]!.text; // one search per request
      const rows = await selectRows<{ id: number; highlight: string }>(
        em,
        `select p.id, ts_headline('english',
            replace(replace(replace(p.name || ' — ' || coalesce(p.description, ''),
              '&', '&amp;'), '<', '&lt;'), '>', '&gt;'),
            websearch_to_tsquery('english', ?),
            'StartSel=<mark>, StopSel=</mark>, MaxWords=25, MinWords=8, MaxFragments=2') as highlight
           from product p where p.id = any(?::int[])`,
        [text, intArrayParam(keys.map((k) => k.productId))],
      );
      const byId = new Map(rows.map((r) => [r.id, r.highlight]));
      return keys.map((k) => byId.get(k.productId) ?? null);
    },
    { cacheKeyFn: (k) => `${k.productId}@${k.text}` },
  );
}
