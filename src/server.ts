import type { MikroORM } from '@mikro-orm/postgresql';
import { buildApp, type App } from './app';
import type { Config } from './config';
import { initOrm, prepareDatabase } from './db/database';
import { startEmbeddedPostgres, type EmbeddedDatabase } from './db/embedded-postgres';
import type { AppLogger } from './logger';

export interface RunningServer {
  app: App;
  orm: MikroORM;
  url: string;
  /** Not ready → finish in-flight requests → stop Apollo → close the pool → stop PostgreSQL. */
  stop(): Promise<void>;
}

/**
 * What `npm start` does: a database (DATABASE_URL, or the embedded default), the engine,
 * migrations and demo data, then the HTTP server. Whatever started before a failure is stopped.
 */
export async function startServer(config: Config, logger: AppLogger): Promise<RunningServer> {
  const cleanup: (() => Promise<unknown>)[] = [];
  const stopAll = async () => {
    for (const step of cleanup.reverse()) await step();
    cleanup.length = 0;
  };
  try {
    let databaseUrl = config.DATABASE_URL;
    if (!databaseUrl) {
      const embedded: EmbeddedDatabase = await startEmbeddedPostgres({
        dir: config.EMBEDDED_PG_DIR,
        port: config.EMBEDDED_PG_PORT,
        logger,
      });
      cleanup.push(() => embedded.stop());
      databaseUrl = embedded.url;
    }
    const orm = await initOrm(databaseUrl, config, logger);
    cleanup.push(() => orm.close());
    await prepareDatabase(orm, databaseUrl, { seed: config.SEED_DEMO, logger });

    const app = await buildApp({ orm, config, logger });
    cleanup.push(() => app.close());
    const address = await app.http.listen({ host: config.HOST, port: config.PORT });
    logger.info(`GraphQL API ready at ${address}/graphql`);

    return {
      app,
      orm,
      url: address,
      stop: async () => {
        app.readiness.shuttingDown = true;
        await stopAll();
      },
    };
  } catch (error) {
    await stopAll().catch((e: unknown) =>
      logger.error({ err: e }, 'cleanup after a failed start failed'),
    );
    throw error;
  }
}
