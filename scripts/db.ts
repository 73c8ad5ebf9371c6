import 'reflect-metadata';
import { loadConfig } from '../src/config';
import { initOrm, prepareDatabase } from '../src/db/database';
import { startEmbeddedPostgres } from '../src/db/embedded-postgres';
import { createLogger } from '../src/logger';

/**
 * `npm run migration:up` / `npm run seed`: the start-up database steps on their own, against
 * DATABASE_URL or the embedded database (stop `npm start` first: it owns the data folder).
 */
async function main(command: string | undefined): Promise<void> {
  if (command !== 'migrate' && command !== 'seed') {
    throw new Error('usage: scripts/db.ts migrate|seed');
  }
  const config = loadConfig();
  const logger = createLogger(config);
  const embedded = config.DATABASE_URL
    ? undefined
    : await startEmbeddedPostgres({
        dir: config.EMBEDDED_PG_DIR,
        port: config.EMBEDDED_PG_PORT,
        logger,
      });
  const url = config.DATABASE_URL ?? embedded!.url;
  try {
    const orm = await initOrm(url, config, logger);
    try {
      await prepareDatabase(orm, config.DATABASE_MIGRATION_URL ?? url, {
        seed: command === 'seed',
        logger,
        // As the server's start-up: the role's statement timeout behind PgBouncer, the checks.
        pool: config,
      });
    } finally {
      await orm.close();
    }
  } finally {
    await embedded?.stop();
  }
}

main(process.argv[2]).catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
