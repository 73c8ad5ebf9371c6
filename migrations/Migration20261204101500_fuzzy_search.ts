import { CatalogMigration } from './catalog-migration';

/**
 * Typo tolerance as store search users expect it (Elasticsearch's `fuzziness: AUTO`): the
 * trigram index finds candidates, fuzzystrmatch's levenshtein_less_equal counts the edits per
 * word (src/catalog/product/product.search.ts). PostgreSQL ships it in contrib.
 */
export class Migration20261204101500_fuzzy_search extends CatalogMigration {
  override async up(): Promise<void> {
    this.addSql(`create extension if not exists fuzzystrmatch;`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop extension if exists fuzzystrmatch;`);
  }
}
