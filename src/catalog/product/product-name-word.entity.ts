import { Entity, PrimaryKey } from '@mikro-orm/postgresql';

/**
 * Typo tolerance's term dictionary: each distinct lower-cased word of a product name, kept by a
 * database trigger (migrations/Migration20261204120000_product_name_words.ts) and read only by
 * the search's SQL (product.search.ts). An entity so that the schema the entities describe is
 * the schema the migrations build; the application never loads one.
 */
@Entity({ tableName: 'product_name_word' })
export class ProductNameWord {
  @PrimaryKey({ type: 'text' })
  word!: string;
}
