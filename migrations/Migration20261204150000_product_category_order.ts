import { CatalogMigration } from './catalog-migration';

/**
 * A category's products newest first (`Category.products`' default order, one LATERAL page per
 * category) read straight off an index, instead of every category's products sorted on every
 * request. The composite index also serves the foreign key's lookups (its leading column), so the
 * single-column one goes.
 */
export class Migration20261204150000_product_category_order extends CatalogMigration {
  override async up(): Promise<void> {
    this.addSql(
      `create index "product_category_id_created_at_id_index" on "product" ("category_id", "created_at", "id");`,
    );
    this.addSql(`drop index "product_category_id_index";`);
  }

  override async down(): Promise<void> {
    this.addSql(`create index "product_category_id_index" on "product" ("category_id");`);
    this.addSql(`drop index "product_category_id_created_at_id_index";`);
  }
}
