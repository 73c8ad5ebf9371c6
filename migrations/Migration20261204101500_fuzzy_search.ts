import { CatalogMigration } from './catalog-migration';

/**
 * Typo tolerance as store search users expect it (Elasticsearch's `fuzziness: AUTO`):
 * fuzzystrmatch's levenshtein_less_equal counts the edits per word
 * (src/catalog/product/product.search.ts; candidates come from the term dictionary of
 * Migration20261204120000). PostgreSQL ships it in contrib.
 */
export class Migration20261204101500_fuzzy_search extends CatalogMigration {
  override async up(): Promise<void> {
    this.addSql(`create extension if not exists fuzzystrmatch;`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop extension if exists fuzzystrmatch;`);
  }
}
