import 'reflect-metadata';
import { loadConfig } from './src/config';
import { embeddedDatabaseUrl } from './src/db/embedded-postgres';
import { ormOptions } from './src/db/orm-options';

/**
 * The MikroORM CLI's entry (`npm run mikro-orm -- migration:create`). With DATABASE_URL unset it
 * talks to the embedded PostgreSQL that `npm start` runs, so keep the server running meanwhile.
 */
const config = loadConfig();
export default ormOptions(
  config.DATABASE_URL ?? embeddedDatabaseUrl(config.EMBEDDED_PG_PORT),
  config,
);
