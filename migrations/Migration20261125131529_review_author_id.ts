import { CatalogMigration } from './catalog-migration';

export class Migration20261125131529_review_author_id extends CatalogMigration {
  override async up(): Promise<void> {
    this.addSql(`alter table "review" add column "author_id" varchar(255) null;`);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table "review" drop column "author_id";`);
  }
}
