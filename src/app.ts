import cors from '@fastify/cors';
import { ApolloServer, type ApolloServerPlugin } from '@apollo/server';
import {
  ApolloServerPluginCacheControlDisabled,
  ApolloServerPluginLandingPageDisabled,
} from '@apollo/server/plugin/disabled';
import { fastifyApolloDrainPlugin, fastifyApolloHandler } from '@as-integrations/fastify';
import type { MikroORM } from '@mikro-orm/postgresql';
import Fastify, {
  LogController,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
} from 'fastify';
import { randomUUID } from 'node:crypto';
import { createTokenVerifier } from './auth/token-verifier';
import type { Config } from './config';
import { CachePolicy } from './graphql/cache-policy';
import { createContext, endSession, type Context } from './graphql/context';
import { CompiledExecution, fixedSchemaGateway } from './graphql/compiled-execution';
import { documentLevelPlugins, OperationPipeline } from './graphql/pipeline';
import { createDocumentStore, createPersistedQueryCache } from './graphql/document-caches';
import { errorLogging } from './graphql/error-logging.plugin';
import { GraphQLFastPath } from './graphql/fast-path';
import { formatError } from './graphql/format-error';
import { OperationGate } from './graphql/operation-gate';
import { queryLimits } from './graphql/limits';
import { QueryCost } from './graphql/query-cost.plugin';
import { buildCatalogSchema } from './graphql/schema';
import type { ShadowMismatch } from './graphql/shadow-execution';
import { watchDeparture } from './http/client-disconnect';
import { registerHealthRoutes, type Readiness } from './http/health';
import { registerHttpErrors } from './http/http-errors';
import { registerPlayground, sendPlayground, wantsPlayground } from './http/playground';
import { registerRequestLog } from './http/request-log';
import {
  documentTooLarge,
  limitJsonDepth,
  refusal,
  RequestRefusedError,
} from './http/request-guards';
import type { AppLogger } from './logger';
import {
  createMetrics,
  observeDocumentCaches,
  observeOperationGate,
  type Metrics,
} from './observability/metrics';
import { OperationReporter } from './observability/operation-report.plugin';
import { SqlBudget } from './observability/sql-budget';
import type { ClientDeparture } from './shared/client-departure';
import { ServiceUnavailableError } from './shared/errors';

const GRAPHQL_PATH = '/graphql';

declare module 'fastify' {
  interface FastifyRequest {
    /** /graphql: tells when the client goes away before its answer is complete. */
    clientDeparture?: ClientDeparture;
    /** /graphql: gives the request's turn back to the operation gate. */
    operationTurn?: () => void;
    /** /graphql: the operation's context, made once (by the fast path, or by Apollo). */
    graphqlContextMade?: Promise<Context>;
  }
}

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
}

export interface App {
  http: FastifyInstance;
  /** Serves `GET /metrics` on METRICS_PORT (not listening yet); null when /metrics is on `http`. */
  metricsHttp: FastifyInstance | null;
  apollo: ApolloServer<Context>;
  readiness: Readiness;
  metrics: Metrics;
  operationGate: OperationGate;
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
    // registerRequestLog writes one richer line per request instead of Fastify's two.
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
  http.addHook('onRequest', (request, reply, done) => {
    void reply.header('x-request-id', request.id);
    done();
  });
  const metrics = createMetrics(orm);
  registerRequestLog(http, metrics);
  registerHttpErrors(http, { bytes: config.HTTP_LINGER_BYTES, ms: config.HTTP_LINGER_MS });
  limitJsonDepth(http, config.HTTP_MAX_JSON_DEPTH);

  const verifyToken = createTokenVerifier(config);
  const limits = queryLimits(config);
  const schema = await buildCatalogSchema();
  const operationGate = new OperationGate(
    config.GRAPHQL_MAX_CONCURRENT_OPERATIONS,
    config.GRAPHQL_MAX_QUEUE_WAIT_MS,
  );
  observeOperationGate(metrics, operationGate);
  const shadowMismatches: ShadowMismatch[] = [];
  const compiledExecution = new CompiledExecution(
    schema,
    config.GRAPHQL_COMPILE_AFTER,
    {
      compiled: (outcome) => metrics.documentsCompiled.inc({ outcome }),
      logger,
      ...(config.GRAPHQL_SHADOW_EXECUTION && {
        shadowMismatch: (mismatch: ShadowMismatch) => {
          logger.error(mismatch, 'compiled execution differs from graphql-js');
          shadowMismatches.push(mismatch);
        },
      }),
    },
    config.GRAPHQL_COMPILED_CACHE_MB * 1024 * 1024,
  );
  const documentStore = createDocumentStore(config.GRAPHQL_DOCUMENT_CACHE_MB);
  const persistedQueries = createPersistedQueryCache(config.APQ_CACHE_MB);
  observeDocumentCaches(metrics, {
    documents: documentStore,
    compiled: compiledExecution,
    persisted_queries: persistedQueries,
  });
  // Every per-operation concern, once: Apollo and the fast path both run them (pipeline.ts).
  const pipeline = new OperationPipeline(schema, compiledExecution, [
    new QueryCost(schema, config.GRAPHQL_MAX_COST).concern,
    new OperationReporter(metrics).concern,
    new SqlBudget(metrics.registry, { exposeInResponses: config.NODE_ENV === 'development' })
      .concern,
    new CachePolicy(config.HTTP_CACHE_MAX_AGE).concern,
    errorLogging,
  ]);
  const apollo = new ApolloServer<Context>({
    gateway: fixedSchemaGateway(schema, pipeline.executor),
    formatError,
    includeStacktraceInErrorResponses: false,
    introspection: config.GRAPHQL_INTROSPECTION,
    validationRules: limits.validationRules,
    parseOptions: limits.parseOptions,
    // Bounded in bytes as measured (Apollo's defaults leave the source text out of the size).
    documentStore,
    persistedQueries: { cache: persistedQueries },
    // main.ts stops the server itself, after reporting not-ready; Apollo's handler would not.
    stopOnTerminationSignals: false,
    plugins: [
      // Document-level only (pipeline.ts): anything per operation is a concern of the pipeline.
      ...documentLevelPlugins<ApolloServerPlugin<Context>>([
        fastifyApolloDrainPlugin(http),
        // Apollo's default landing page loads from a CDN; nothing here may leave the machine.
        ApolloServerPluginLandingPageDisabled(),
        // Per-field hints; the cache policy is set once per response (cache-policy.ts).
        ApolloServerPluginCacheControlDisabled(),
        ...(limits.plugins as ApolloServerPlugin<Context>[]),
      ]),
      pipeline.apolloPlugin,
      ...(options.apolloPlugins ?? []),
    ],
  });
  await apollo.start();

  if (config.CORS_ORIGINS.length) {
    await http.register(cors, {
      origin: config.CORS_ORIGINS.includes('*') ? '*' : config.CORS_ORIGINS,
      methods: ['GET', 'POST', 'OPTIONS'],
      allowedHeaders: [
        'content-type',
        'authorization',
        'apollo-require-preflight',
        'x-apollo-operation-name',
        'x-request-id',
      ],
      exposedHeaders: ['x-request-id'],
      maxAge: 600,
    });
  }
  if (config.GRAPHQL_PLAYGROUND) registerPlayground(http, GRAPHQL_PATH);

  const makeContext = async (request: FastifyRequest) => {
    if (!readiness.databaseReady) {
      throw new ServiceUnavailableError('Starting up: the database is not ready yet', true);
    }
    // The viewer is resolved once per request; a bad token stops it with 401.
    const viewer = await verifyToken(request.headers.authorization);
    const departure = request.clientDeparture!;
    // Held until the operation has ended (the handler below gives it back), even when its
    // client has gone: work that cannot be cancelled still counts against the limit.
    request.operationTurn = await operationGate.enter(departure);
    const context = createContext(orm, request, viewer, departure);
    request.graphqlContext = context;
    return context;
  };
  const contextOf = (request: FastifyRequest) =>
    (request.graphqlContextMade ??= makeContext(request));
  const graphqlHandler = fastifyApolloHandler(apollo, { context: contextOf });
  // Plugins from outside (tests), or Apollo's usage reporting, must see every operation.
  const fastPath =
    options.apolloPlugins?.length || config.APOLLO_KEY
      ? null
      : new GraphQLFastPath({ pipeline, context: contextOf });
  http.route<{ Reply: string }>({
    url: GRAPHQL_PATH,
    method: ['GET', 'POST', 'OPTIONS'],
    // Watched from the start, so a client that leaves while its token is checked is seen too.
    onRequest: (request, reply, done) => {
      // Refused alike whichever path would answer (fast path or Apollo): 400, not a 500.
      const refused = refusal(request, config.HTTP_MAX_JSON_DEPTH);
      if (refused) return done(new RequestRefusedError(refused));
      request.clientDeparture = watchDeparture(reply.raw);
      done();
    },
    // A browser opening the endpoint gets the Playground; every other request goes on.
    // Without the Playground there is no hook at all (it ran for every request).
    ...(config.GRAPHQL_PLAYGROUND && {
      preHandler: async (request: FastifyRequest, reply: FastifyReply) => {
        if (wantsPlayground(request)) return sendPlayground(reply, GRAPHQL_PATH);
      },
    }),
    async handler(request, reply) {
      const tooLarge = documentTooLarge(request, config.GRAPHQL_MAX_DOCUMENT_BYTES);
      if (tooLarge) throw tooLarge; // answered by the error handler, as the other refusals
      try {
        // A compiled query is answered by the fast path; whatever it leaves is Apollo's.
        return (
          (await fastPath?.answer(request, reply)) ??
          (await graphqlHandler.call(this, request, reply))
        );
      } finally {
        // Answered (or failed): the operation is over, its session is dropped and its turn
        // goes to the next.
        endSession(request.graphqlContext);
        request.operationTurn?.();
      }
    },
  });
  registerHealthRoutes(http, orm, readiness);
  // METRICS_PORT moves the scrape to a listener of its own, away from the API's address.
  const metricsHttp = config.METRICS_PORT === undefined ? null : Fastify({ logger: false });
  (metricsHttp ?? http).get('/metrics', async (_request, reply) => {
    void reply.type(metrics.registry.contentType);
    return metrics.registry.metrics();
  });

  return {
    http,
    metricsHttp,
    apollo,
    readiness,
    metrics,
    operationGate,
    shadowMismatches,
    close: async () => {
      fastPath?.close(); // Apollo answers what still arrives while it drains, as it would
      await apollo.stop();
      // Operations whose clients left run on with no connection holding HTTP open.
      await operationGate.idle();
      await metricsHttp?.close();
    },
  };
}
