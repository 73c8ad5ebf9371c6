import { DataloaderType, FlushMode, defineConfig } from '@mikro-orm/postgresql';
import { Migrator } from '@mikro-orm/migrations';
import type { Config } from '../config';
import { Category } from '../catalog/category/category.entity';
import { Product } from '../catalog/product/product.entity';
import { ProductNameWord } from '../catalog/product/product-name-word.entity';
import { Review } from '../catalog/review/review.entity';
import { migrationsList } from '../../migrations';

export const entities = [Category, Product, ProductNameWord, Review];

type PoolConfig = Pick<
  Config,
  | 'DB_POOL_MAX'
  | 'DB_POOL_MIN'
  | 'DB_ACQUIRE_TIMEOUT_MS'
  | 'DB_STATEMENT_TIMEOUT_MS'
  | 'DB_STATEMENT_TIMEOUT_ON'
>;

/**
 * The engine's settings, in the seed's terms: `create_engine(url, pool_size)` plus the
 * `sessionmaker(autoflush=False)` defaults every fork inherits. Shared by the app and the CLI.
 */
export function ormOptions(clientUrl: string, config: PoolConfig) {
  return defineConfig({
    clientUrl,
    entities,
    extensions: [Migrator],
    migrations: {
      migrationsList,
      pathTs: 'migrations',
      path: 'dist/migrations',
      transactional: true,
      allOrNothing: true,
      snapshot: false,
      // MikroORM would put a dashed name into the class name; keep both valid identifiers.
      fileName: (timestamp: string, name?: string) =>
        name ? `Migration${timestamp}_${name.replace(/\W+/g, '_')}` : `Migration${timestamp}`,
    },
    // The global EntityManager is a template: request work must go through `em.fork()`.
    allowGlobalContext: false,
    // The seed's autoflush=False: nothing reaches the database until a mutation flushes.
    flushMode: FlushMode.COMMIT,
    // Reference.load() and Collection.load() calls made in one tick become one query.
    dataloader: DataloaderType.ALL,
    forceUtcTimezone: true,
    colors: false, // its messages go to JSON logs
    // The database is created by whoever provides it (the embedded default does); connecting
    // lazily lets the server start, report not-ready and wait while the database is down.
    ensureDatabase: false,
    // Unknown entities or mismatched metadata stop the boot instead of failing a request later.
    validate: true,
    strict: true,
    pool: { min: config.DB_POOL_MIN, max: config.DB_POOL_MAX },
    driverOptions: {
      // knex's own default is 60 s: a request would hang that long on an exhausted pool.
      acquireConnectionTimeout: config.DB_ACQUIRE_TIMEOUT_MS,
      connection: {
        application_name: 'catalog-graphql',
        // PgBouncer refuses the parameter: with `role`, prepareDatabase sets it on the role.
        ...(config.DB_STATEMENT_TIMEOUT_MS > 0 &&
          config.DB_STATEMENT_TIMEOUT_ON === 'connection' && {
            statement_timeout: config.DB_STATEMENT_TIMEOUT_MS,
          }),
      },
    },
  });
}
