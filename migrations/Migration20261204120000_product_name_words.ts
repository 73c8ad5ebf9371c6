import { CatalogMigration } from './catalog-migration';

/**
 * Typo tolerance's term dictionary: every distinct lower-cased word of a product name, as
 * Elasticsearch keeps a term dictionary for its fuzzy queries. A search word is compared with
 * these words (levenshtein_less_equal: a few thousand words, milliseconds) and the products are
 * found through the words within reach, by the search vector's index. Trigrams could not promise
 * that: two edits spread over a 6-letter word leave it too few trigrams in common with the name.
 * Words are only added (a trigger), never removed: a stale word only makes a candidate that the
 * per-row check (src/catalog/product/product.search.ts) then drops.
 */
export class Migration20261204120000_product_name_words extends CatalogMigration {
  override async up(): Promise<void> {
    this.addSql(`create table "product_name_word" ("word" text not null primary key);`);
    this.addSql(`
      create function product_name_words_add() returns trigger language plpgsql as $$
      begin
        insert into product_name_word (word)
          select distinct w from regexp_split_to_table(lower(new.name), '[^[:alnum:]]+') as w
          where w <> ''
          on conflict do nothing;
        return null;
      end $$;`);
    this.addSql(`
      create trigger product_name_words after insert or update of name on product
      for each row execute function product_name_words_add();`);
    this.addSql(`
      insert into product_name_word (word)
        select distinct w from product, regexp_split_to_table(lower(name), '[^[:alnum:]]+') as w
        where w <> ''
        on conflict do nothing;`);
    // Trigrams found fuzzy candidates before; word_similarity (ranking) needs no index.
    this.addSql(`drop index if exists "product_name_trgm_index";`);
  }

  override async down(): Promise<void> {
    this.addSql(
      `create index "product_name_trgm_index" on "product" using gin ("name" gin_trgm_ops);`,
    );
    this.addSql(`drop trigger if exists product_name_words on product;`);
    this.addSql(`drop function if exists product_name_words_add();`);
    this.addSql(`drop table if exists "product_name_word";`);
  }
}
