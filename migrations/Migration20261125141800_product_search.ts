import { CatalogMigration } from './catalog-migration';

/**
 * Catalog search: a weighted tsvector per product (name A, description B, category name C) with
 * a GIN index, and pg_trgm for the typo-tolerant fallback. Triggers keep the vector right for
 * every writer — the API, migrations or plain SQL — including when a category is renamed.
 */
export class Migration20261125141800_product_search extends CatalogMigration {
  override async up(): Promise<void> {
    this.addSql(`create extension if not exists pg_trgm;`);
    this.addSql(`alter table "product" add column "search_vector" tsvector null;`);
    this.addSql(`
      create function product_search_vector(p_name text, p_description text, p_category_id int)
      returns tsvector language sql stable as $$
        select setweight(to_tsvector('english', coalesce(p_name, '')), 'A')
            || setweight(to_tsvector('english', coalesce(p_description, '')), 'B')
            || setweight(to_tsvector('english', coalesce(
                 (select c.name from category c where c.id = p_category_id), '')), 'C')
      $$;`);
    this.addSql(`
      create function product_search_vector_refresh() returns trigger language plpgsql as $$
      begin
        new.search_vector := product_search_vector(new.name, new.description, new.category_id);
        return new;
      end
      $$;`);
    this.addSql(`
      create trigger product_search_vector
      before insert or update of name, description, category_id on product
      for each row execute function product_search_vector_refresh();`);
    this.addSql(`
      create function category_search_vector_refresh() returns trigger language plpgsql as $$
      begin
        update product set search_vector = product_search_vector(name, description, category_id)
         where category_id = new.id;
        return null;
      end
      $$;`);
    this.addSql(`
      create trigger category_search_vector
      after update of name on category
      for each row when (old.name is distinct from new.name)
      execute function category_search_vector_refresh();`);
    this.addSql(
      `update product set search_vector = product_search_vector(name, description, category_id);`,
    );
    this.addSql(
      `create index "product_search_vector_index" on "product" using gin ("search_vector");`,
    );
    this.addSql(
      `create index "product_name_trgm_index" on "product" using gin ("name" gin_trgm_ops);`,
    );
  }

  override async down(): Promise<void> {
    this.addSql(`drop trigger if exists category_search_vector on category;`);
    this.addSql(`drop function if exists category_search_vector_refresh();`);
    this.addSql(`drop trigger if exists product_search_vector on product;`);
    this.addSql(`drop function if exists product_search_vector_refresh();`);
    this.addSql(`drop function if exists product_search_vector(text, text, int);`);
    this.addSql(`alter table "product" drop column "search_vector";`);
  }
}
