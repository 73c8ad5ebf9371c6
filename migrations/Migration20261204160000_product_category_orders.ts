import { CatalogMigration } from './catalog-migration';

/**
 * A category's page in every order the API offers (`Category.products(orderBy:)`, and
 * `products(filter: { categoryId })`) read off an index, as the newest-first one already is:
 * without them PostgreSQL sorts the category's products, or walks the whole-catalog index and
 * drops the other categories' rows. test/default-orders.int.test.ts checks every order.
 */
export class Migration20261204160000_product_category_orders extends CatalogMigration {
  override async up(): Promise<void> {
    this.addSql(
      `create index "product_category_id_name_id_index" on "product" ("category_id", "name", "id");`,
    );
    this.addSql(
      `create index "product_category_id_price_id_index" on "product" ("category_id", "price", "id");`,
    );
    this.addSql(
      `create index "product_category_id_rating_average_id_index" on "product" ("category_id", "rating_average" asc nulls first, "id" asc);`,
    );
  }

  override async down(): Promise<void> {
    this.addSql(`drop index "product_category_id_rating_average_id_index";`);
    this.addSql(`drop index "product_category_id_price_id_index";`);
    this.addSql(`drop index "product_category_id_name_id_index";`);
  }
}
