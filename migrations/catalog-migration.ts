import { Migration, type Query } from '@mikro-orm/migrations';

/**
 * The base of every migration here (a test checks): migrations may run far longer than a
 * request — an index build on a large catalog takes minutes — so the pool's statement_timeout
 * is lifted for their transaction only (`set local`, which also holds behind PgBouncer in
 * transaction mode). A new migration from `npm run migration:create` must extend this class.
 */
export abstract class CatalogMigration extends Migration {
  override getQueries(): Query[] {
    return ['set local statement_timeout = 0', ...super.getQueries()];
  }
}
