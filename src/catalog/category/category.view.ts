import type { Category } from './category.entity';

/** A category row as PostgreSQL returns it for CATEGORY_COLUMNS. */
export interface CategoryRow {
  id: number;
  slug: string;
  name: string;
}

export const categoryColumns = (alias: string): string =>
  ['id', 'slug', 'name'].map((column) => `${alias}.${column}`).join(', ');

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
