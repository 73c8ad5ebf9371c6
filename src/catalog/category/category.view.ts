import type { ProductAndCategoryRow } from '../product/product.view';
import type { Category } from './category.entity';

/** A category row as PostgreSQL returns it for categoryColumns. */
export interface CategoryRow {
  id: number;
  slug: string;
  name: string;
}

export const categoryColumns = (alias: string): string =>
  ['id', 'slug', 'name'].map((column) => `${alias}.${column}`).join(', ');

/** The category read along with a product (productAndCategoryColumns); null without one. */
export function categoryOfProductRow(row: ProductAndCategoryRow): CategoryView | null {
  return row.category_id === null
    ? null
    : new CategoryView({ id: row.category_id, slug: row.category_slug!, name: row.category_name! });
}

/** A category as resolvers serve it: a plain snapshot of its row (see ProductView). */
export class CategoryView {
  readonly id: number;
  readonly slug: string;
  readonly name: string;

  constructor(row: CategoryRow) {
    this.id = row.id;
    this.slug = row.slug;
    this.name = row.name;
  }

  /** A mutation's result: the entity as it was written. */
  static of(this: void, category: Category): CategoryView {
    return new CategoryView(category);
  }
}
