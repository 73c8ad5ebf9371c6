import type { EntityManager } from '@mikro-orm/postgresql';
import type { Loaders } from '../../graphql/loaders';
import { selectRows } from '../../shared/sql';
import { categoryColumns, CategoryView, type CategoryRow } from './category.view';

/** Every category, by name; each is then known to the request's category loader. */
export async function findCategories(em: EntityManager, loaders: Loaders): Promise<CategoryView[]> {
  const rows = await selectRows<CategoryRow>(
    em,
    `select ${categoryColumns('c')} from category c order by c.name, c.id`,
  );
  return rows.map((row) => {
    const category = new CategoryView(row);
    loaders.categoryById.prime(category.id, category);
    return category;
  });
}

export async function findCategoryBySlug(
  em: EntityManager,
  slug: string,
): Promise<CategoryView | null> {
  const [row] = await selectRows<CategoryRow>(
    em,
    `select ${categoryColumns('c')} from category c where c.slug = ?`,
    [slug],
  );
  return row ? new CategoryView(row) : null;
}
