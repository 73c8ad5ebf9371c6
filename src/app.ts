import type { ApolloServer, ApolloServerPlugin } from '@apollo/server';
import type { MikroORM } from '@mikro-orm/postgresql';
import Fastify, { LogController, type FastifyInstance } from 'fastify';
import { randomUUID } from 'node:crypto';
import type { Config } from './config';
import type { Context } from './graphql/context';
import { GRAPHQL_PATH, graphqlPlugin } from './graphql/graphql.plugin';
import type { OperationGate } from './graphql/operation-gate';
import type { ShadowMismatch } from './graphql/shadow-execution';
import { corsPlugin } from './http/cors.plugin';
import { healthPlugin, type Readiness } from './http/health.plugin';
import { httpErrorsPlugin } from './http/http-errors';
import { playgroundPlugin } from './http/playground.plugin';
import { jsonDepthPlugin } from './http/request-guards';
import { requestLogPlugin } from './http/request-log';
import type { AppLogger } from './logger';
import type { Metrics } from './observability/metrics';
import { metricsPlugin } from './observability/metrics.plugin';
import type { Tracing } from './observability/tracing/tracing';

export interface AppOptions {
  orm: MikroORM;
  config: Config;
  logger: AppLogger;
  /** Shared with start-up and shutdown, which flip it; ready from the start when not given. */
  readiness?: Readiness;
  /**
   * Extra Apollo plugins (tests observe requests through them). They see every request: with
   * any, there is no fast path (src/graphql/fast-path.ts).
   */
  apolloPlugins?: ApolloServerPlugin<Context>[];
  /** OpenTelemetry, when configured (src/observability/tracing). */
  tracing?: Tracing;
}

export interface App {
  http: FastifyInstance;
  /** Serves `GET /metrics` on METRICS_PORT (not listening yet); null when /metrics is on `http`. */
  metricsHttp: FastifyInstance | null;
  apollo: ApolloServer<Context>;
  readiness: Readiness;
  metrics: Metrics;
  operationGate: OperationGate;
  /** Light compiled queries' lane (GRAPHQL_MAX_CONCURRENT_LIGHT_OPERATIONS). */
  lightOperationGate: OperationGate | undefined;
  /** GRAPHQL_SHADOW_EXECUTION: where compiled runs differed from graphql-js (tests take them). */
  shadowMismatches: ShadowMismatch[];
  /**
   * Stops Apollo, whose drain plugin closes Fastify once in-flight requests are answered, then
   * waits for operations still running for clients that have left: the pool may close after.
   */
  close(): Promise<void>;
}

/** The whole HTTP server, without listening: `main.ts` listens, tests inject or listen on port 0. */
export async function buildApp(options: AppOptions): Promise<App> {
  const { orm, config, logger } = options;
  const readiness = options.readiness ?? { shuttingDown: false, databaseReady: true };
  const http = Fastify({
    loggerInstance: logger,
    // A caller's request id (e.g. from a proxy) is kept, so one id follows the request end to end.
    requestIdHeader: 'x-request-id',
    genReqId: () => randomUUID(),
    // The request-log plugin writes one richer line per request instead of Fastify's two.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: config.HTTP_BODY_LIMIT,
    // A client that trickles its request (or sends nothing) must not hold a socket for ever.
    requestTimeout: config.HTTP_REQUEST_TIMEOUT_MS,
    connectionTimeout: config.HTTP_CONNECTION_TIMEOUT_MS,
    keepAliveTimeout: config.HTTP_KEEP_ALIVE_TIMEOUT_MS,
    http: {
      headersTimeout: config.HTTP_HEADERS_TIMEOUT_MS,
      // Node checks the two timeouts above this often (30 s by default): a tenth of the bound.
      connectionsCheckingInterval: Math.max(
        10,
        Math.min(30_000, Math.floor(config.HTTP_HEADERS_TIMEOUT_MS / 10)),
      ),
    },
  });

  // In this order: hooks run in the order their plugins add them.
  await http.register(metricsPlugin, { orm, ownListener: config.METRICS_PORT !== undefined });
  await http.register(requestLogPlugin);
  await http.register(httpErrorsPlugin, {
    linger: { bytes: config.HTTP_LINGER_BYTES, ms: config.HTTP_LINGER_MS },
  });
  await http.register(jsonDepthPlugin, { max: config.HTTP_MAX_JSON_DEPTH });
  if (config.CORS_ORIGINS.length) await http.register(corsPlugin, { origins: config.CORS_ORIGINS });
  if (config.GRAPHQL_PLAYGROUND) await http.register(playgroundPlugin, { endpoint: GRAPHQL_PATH });
  await http.register(graphqlPlugin, {
    orm,
    config,
    logger,
    readiness,
    apolloPlugins: options.apolloPlugins,
    tracing: options.tracing,
  });
  await http.register(healthPlugin, { orm, readiness });

  const { apollo, operationGate, lightOperationGate, shadowMismatches } = http.graphql;
  return {
    http,
    metricsHttp: http.metricsHttp,
    apollo,
    readiness,
    metrics: http.metrics,
    operationGate,
    lightOperationGate,
    shadowMismatches,
    close: async () => {
      await http.graphql.close();
      await http.metricsHttp?.close();
    },
  };
}
