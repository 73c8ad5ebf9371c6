import { ApolloServer, type ApolloServerPlugin } from '@apollo/server';
import { ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { fastifyApolloDrainPlugin, fastifyApolloHandler } from '@as-integrations/fastify';
import type { MikroORM } from '@mikro-orm/postgresql';
import Fastify, { type FastifyInstance } from 'fastify';
import { randomUUID } from 'node:crypto';
import type { AppLogger } from './logger';
import { createTokenVerifier } from './auth/token-verifier';
import type { Config } from './config';
import { createContext, type Context } from './graphql/context';
import { errorLoggingPlugin } from './graphql/error-logging.plugin';
import { formatError } from './graphql/format-error';
import { buildCatalogSchema } from './graphql/schema';
import { registerHealthRoutes, type Readiness } from './http/health';

export interface AppOptions {
  orm: MikroORM;
  config: Config;
  logger: AppLogger;
  /** Shared with the shutdown sequence, which marks the server not ready before draining. */
  readiness?: Readiness;
  /** Extra Apollo plugins (tests observe requests through them). */
  apolloPlugins?: ApolloServerPlugin<Context>[];
}

export interface App {
  http: FastifyInstance;
  apollo: ApolloServer<Context>;
  readiness: Readiness;
  /** Stops Apollo, whose drain plugin closes Fastify once in-flight requests are answered. */
  close(): Promise<void>;
}

/** The whole HTTP server, without listening: `main.ts` listens, tests inject or listen on port 0. */
export async function buildApp(options: AppOptions): Promise<App> {
  const { orm, config, logger } = options;
  const readiness = options.readiness ?? { shuttingDown: false };
  const http = Fastify({
    loggerInstance: logger,
    // A caller's request id (e.g. from a proxy) is kept, so one id follows the request end to end.
    requestIdHeader: 'x-request-id',
    genReqId: () => randomUUID(),
  });
  http.addHook('onSend', async (request, reply) => {
    void reply.header('x-request-id', request.id);
  });

  const verifyToken = createTokenVerifier(config);
  const apollo = new ApolloServer<Context>({
    schema: await buildCatalogSchema(),
    formatError,
    includeStacktraceInErrorResponses: false,
    // main.ts stops the server itself, after reporting not-ready; Apollo's handler would not.
    stopOnTerminationSignals: false,
    plugins: [
      fastifyApolloDrainPlugin(http),
      // Apollo's default landing page loads from a CDN; nothing here may leave the machine.
      ApolloServerPluginLandingPageDisabled(),
      errorLoggingPlugin,
      ...(options.apolloPlugins ?? []),
    ],
  });
  await apollo.start();

  http.route({
    url: '/graphql',
    method: ['GET', 'POST', 'OPTIONS'],
    handler: fastifyApolloHandler(apollo, {
      // The viewer is resolved once per request; a bad token stops it with 401 UNAUTHENTICATED.
      context: async (request) =>
        createContext(orm, request, await verifyToken(request.headers.authorization)),
    }),
  });
  registerHealthRoutes(http, orm, readiness);
  return { http, apollo, readiness, close: () => apollo.stop() };
}
