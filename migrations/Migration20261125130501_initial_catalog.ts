import { CatalogMigration } from './catalog-migration';

export class Migration20261125130501_initial_catalog extends CatalogMigration {
  override async up(): Promise<void> {
    this.addSql(
      `create table "category" ("id" serial primary key, "slug" varchar(64) not null, "name" varchar(120) not null, "created_at" timestamptz(3) not null default current_timestamp);`,
    );
    this.addSql(`alter table "category" add constraint "category_slug_unique" unique ("slug");`);

    this.addSql(
      `create table "product" ("id" serial primary key, "sku" varchar(64) not null, "name" varchar(200) not null, "description" text null, "price" numeric(12,2) not null, "stock" int not null default 0, "category_id" int null, "review_count" int not null default 0, "rating_average" numeric(5,4) null, "created_at" timestamptz(3) not null default current_timestamp, "updated_at" timestamptz(3) not null default current_timestamp, "version" int not null default 1, constraint product_stock_check check (stock >= 0), constraint product_price_check check (price >= 0));`,
    );
    this.addSql(`alter table "product" add constraint "product_sku_unique" unique ("sku");`);
    this.addSql(`create index "product_category_id_index" on "product" ("category_id");`);
    this.addSql(
      `create index "product_rating_average_id_index" on "product" ("rating_average" asc nulls first, "id" asc);`,
    );
    this.addSql(`create index "product_created_at_id_index" on "product" ("created_at", "id");`);
    this.addSql(`create index "product_price_id_index" on "product" ("price", "id");`);
    this.addSql(`create index "product_name_id_index" on "product" ("name", "id");`);

    this.addSql(
      `create table "review" ("id" serial primary key, "product_id" int not null, "rating" smallint not null, "title" varchar(200) null, "body" text null, "author" varchar(120) not null, "created_at" timestamptz(3) not null default current_timestamp, constraint review_rating_check check (rating >= 1 and rating <= 5));`,
    );
    this.addSql(
      `create index "review_product_id_created_at_id_index" on "review" ("product_id", "created_at" desc, "id" desc);`,
    );

    this.addSql(
      `alter table "product" add constraint "product_category_id_foreign" foreign key ("category_id") references "category" ("id") on update cascade on delete restrict;`,
    );

    this.addSql(
      `alter table "review" add constraint "review_product_id_foreign" foreign key ("product_id") references "product" ("id") on update cascade on delete cascade;`,
    );

    // Keeps product.review_count and product.rating_average equal to what the product's reviews
    // say, whoever writes them (the API, a migration, plain SQL), so rating order can use an index.
    this.addSql(`
      create function review_rollup() returns trigger language plpgsql as $$
      declare
        affected int[];
      begin
        if tg_op in ('INSERT', 'UPDATE') then affected := array[new.product_id]; end if;
        if tg_op in ('DELETE', 'UPDATE') then affected := affected || old.product_id; end if;
        update product p
           set review_count = s.review_count, rating_average = s.rating_average
          from (
            select a.id,
                   count(r.id)::int as review_count,
                   round(avg(r.rating), 4) as rating_average
              from unnest(affected) as a(id)
              left join review r on r.product_id = a.id
             group by a.id
          ) s
         where p.id = s.id;
        return null;
      end
      $$;`);
    this.addSql(`
      create trigger review_rollup
      after insert or delete or update of product_id, rating on review
      for each row execute function review_rollup();`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "review" cascade;`);
    this.addSql(`drop function if exists review_rollup();`);
    this.addSql(`drop table if exists "product" cascade;`);
    this.addSql(`drop table if exists "category" cascade;`);
  }
}
