import type { EntityManager } from '@mikro-orm/postgresql';
import { HeldLoader } from '../../shared/held-loader';
import { categoryColumns, CategoryView, type CategoryRow } from './category.view';
import { ByIdStatement } from '../../shared/sql';

export type CategoryLoader = ReturnType<typeof createCategoryLoader>;

const categoriesById = new ByIdStatement(
  'categories_by_id',
  (condition) => `select ${categoryColumns('c')} from category c where c.id ${condition}`,
);

/**
 * Categories by id (`Product.category`, `category(id)`): one statement for every id asked in a
 * tick. `categories` primes it, so products listed under their category need no second read.
 */
export function createCategoryLoader(em: EntityManager) {
  return new HeldLoader<number, CategoryView | null>(async (ids) => {
    const rows = await categoriesById.read<CategoryRow>(em, ids);
    const byId = new Map(rows.map((row) => [row.id, new CategoryView(row)]));
    return ids.map((id) => byId.get(id) ?? null);
  });
}
