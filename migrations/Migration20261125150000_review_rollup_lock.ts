import { CatalogMigration } from './catalog-migration';

/**
 * Two reviews of one product written at once could each count the reviews from a snapshot
 * without the other's, and the second UPDATE would store its stale count over the first. The
 * rollup now locks the product rows first (FOR NO KEY UPDATE: compatible with the KEY SHARE
 * lock each review's foreign key takes): the second waits for the first to commit, and its
 * aggregate (a new statement, so a new snapshot) then sees both reviews.
 */
export class Migration20261125150000_review_rollup_lock extends CatalogMigration {
  override async up(): Promise<void> {
    this.addSql(`
      create or replace function review_rollup() returns trigger language plpgsql as $$
      declare
        affected int[];
      begin
        if tg_op in ('INSERT', 'UPDATE') then affected := array[new.product_id]; end if;
        if tg_op in ('DELETE', 'UPDATE') then affected := affected || old.product_id; end if;
        perform 1 from product where id = any(affected) order by id for no key update;
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
  }

  override async down(): Promise<void> {
    // The earlier function, without the row lock (see the initial migration).
    this.addSql(`
      create or replace function review_rollup() returns trigger language plpgsql as $$
      declare
        affected int[];
      begin
        if tg_op in ('INSERT', 'UPDATE') then affected := array[new.product_id]; end if;
        if tg_op in ('DELETE', 'UPDATE') then affected := affected || old.product_id; end if;
        update product p
           set review_count = s.review_count, rating_average = s.rating_average
          from (
            select a.id, count(r.id)::int as review_count, round(avg(r.rating), 4) as rating_average
              from unnest(affected) as a(id) left join review r on r.product_id = a.id
             group by a.id
          ) s
         where p.id = s.id;
        return null;
      end
      $$;`);
  }
}
