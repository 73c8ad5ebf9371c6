import { OperationTypeNode } from 'graphql';
import { ApolloServer, type ApolloServerPlugin } from '@apollo/server';
import {
  ApolloServerPluginCacheControlDisabled,
  ApolloServerPluginLandingPageDisabled,
} from '@apollo/server/plugin/disabled';
import { fastifyApolloDrainPlugin, fastifyApolloHandler } from '@as-integrations/fastify';
import type { MikroORM } from '@mikro-orm/postgresql';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { createTokenVerifier } from '../auth/token-verifier';
import { forkWithoutConfigSync } from '../db/driver';
import type { Config } from '../config';
import { watchDeparture } from '../http/client-disconnect';
import type { Readiness } from '../http/health.plugin';
import { sendPlayground, wantsPlayground } from '../http/playground';
import { documentTooLarge, refusal, RequestRefusedError } from '../http/request-guards';
import type { AppLogger } from '../logger';
import { observeDocumentCaches, observeOperationGate } from '../observability/metrics';
import { OperationReporter } from '../observability/operation-report';
import { SqlBudget } from '../observability/sql-budget';
import type { ClientDeparture } from '../shared/client-departure';
import { ServiceUnavailableError } from '../shared/errors';
import { replicasOf } from '../db/replicas/targets';
import { CachePolicy } from './cache-policy';
import { CONSISTENCY_HEADER, consistencyConcern } from './consistency';
import { CompiledExecution, fixedSchemaGateway } from './compiled-execution';
import type { Tracing } from '../observability/tracing/tracing';
import { documentLevelPlugins, OperationPipeline } from './pipeline';
import { createContext, endSession, type Context } from './context';
import { createDocumentStore, createPersistedQueryCache } from './document-caches';
import { errorLogging } from './error-logging';
import { GraphQLFastPath } from './fast-path';
import { RedisPersistedQueryCache } from './persisted-query-store';
import { formatError } from './format-error';
import { queryLimits } from './limits';
import { LIGHT_OPERATION_COST, OperationGate } from './operation-gate';
import { QueryCost } from './query-cost';
import { buildCatalogSchema } from './schema';
import type { ShadowMismatch } from './shadow-execution';

export const GRAPHQL_PATH = '/graphql';

declare module 'fastify' {
  interface FastifyInstance {
    /** The GraphQL endpoint's parts the rest of the app reaches: tests, metrics, shutdown. */
    graphql: GraphQLEndpoint;
  }
  interface FastifyRequest {
    /** /graphql: tells when the client goes away before its answer is complete. */
    clientDeparture?: ClientDeparture;
    /** /graphql: gives the request's turn back to the operation gate. */
    operationTurn?: () => void;
    /** /graphql: the operation's context, made once (by the fast path, or by Apollo). */
    graphqlContextMade?: Promise<Context>;
    /**
     * Set for /graphql requests once the operation's context is made; its session ends when
     * the request is answered, its report stays for the request's log line.
     */
    graphqlContext?: Context;
  }
}

export interface GraphQLEndpoint {
  apollo: ApolloServer<Context>;
  operationGate: OperationGate;
  /** Light compiled queries' lane; none when GRAPHQL_MAX_CONCURRENT_LIGHT_OPERATIONS is 0. */
  lightOperationGate: OperationGate | undefined;
  /** GRAPHQL_SHADOW_EXECUTION: where compiled runs differed from graphql-js (tests take them). */
  shadowMismatches: ShadowMismatch[];
  /**
   * Stops Apollo, whose drain plugin closes Fastify once in-flight requests are answered, then
   * waits for operations still running for clients that have left: the pool may close after.
   */
  close(): Promise<void>;
}

export interface GraphQLPluginOptions {
  orm: MikroORM;
  config: Config;
  logger: AppLogger;
  readiness: Readiness;
  /**
   * Extra Apollo plugins (tests observe requests through them). They see every request: with
   * any, there is no fast path (src/graphql/fast-path.ts).
   */
  apolloPlugins?: ApolloServerPlugin<Context>[];
  /** OpenTelemetry, when configured: undefined means no tracing work at all. */
  tracing?: Tracing;
}

/**
 * `/graphql`: Apollo Server, the fast path that answers compiled queries without Apollo's
 * pipeline, and the operation gate that bounds how many run at once.
 */
export const graphqlPlugin = fp(graphql, {
  name: 'graphql',
  fastify: '5.x',
  dependencies: ['metrics'],
});

async function graphql(http: FastifyInstance, options: GraphQLPluginOptions): Promise<void> {
  const { orm, config, logger, readiness, tracing } = options;
  // DATABASE_REPLICA_URLS: where each request reads is chosen per request (src/db/replicas).
  const targets = replicasOf(orm);
  // Every engine a session may be forked from: forks without two needless config syncs
  // (src/db/driver), and its statements traced.
  for (const engine of targets ? [orm, ...targets.replicas.map((r) => r.orm)] : [orm]) {
    forkWithoutConfigSync(engine);
    tracing?.observe(engine);
  }
  const metrics = http.metrics;
  const verifyToken = createTokenVerifier(config);
  const limits = queryLimits(config);
  const schema = await buildCatalogSchema();
  const operationGate = new OperationGate(
    config.GRAPHQL_MAX_CONCURRENT_OPERATIONS,
    config.GRAPHQL_MAX_QUEUE_WAIT_MS,
  );
  // Light compiled queries' own lane (operation-gate.ts, LIGHT_OPERATION_COST).
  const lightOperationGate =
    config.GRAPHQL_MAX_CONCURRENT_LIGHT_OPERATIONS > 0
      ? new OperationGate(
          config.GRAPHQL_MAX_CONCURRENT_LIGHT_OPERATIONS,
          config.GRAPHQL_MAX_QUEUE_WAIT_MS,
        )
      : undefined;
  observeOperationGate(metrics, operationGate, lightOperationGate);
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
  // Shared by every instance when configured, else this process's own (docs/operations.md#many-instances).
  const persistedQueries = config.APQ_REDIS_URL
    ? new RedisPersistedQueryCache({
        url: config.APQ_REDIS_URL,
        timeoutMs: config.APQ_REDIS_TIMEOUT_MS,
        logger,
      })
    : createPersistedQueryCache(config.APQ_CACHE_MB);
  observeDocumentCaches(metrics, {
    documents: documentStore,
    compiled: compiledExecution,
    persisted_queries: persistedQueries,
  });
  const queryCost = new QueryCost(schema, config.GRAPHQL_MAX_COST);
  // Every per-operation concern, once: Apollo and the fast path both run them (pipeline.ts).
  const pipeline = new OperationPipeline(
    schema,
    compiledExecution,
    [
      queryCost.concern,
      new OperationReporter(metrics).concern,
      new SqlBudget(metrics.registry, { exposeInResponses: config.NODE_ENV === 'development' })
        .concern,
      new CachePolicy(config.HTTP_CACHE_MAX_AGE).concern,
      ...(tracing ? [tracing.concern] : []),
      errorLogging,
      ...(targets ? [consistencyConcern] : []),
    ],
    tracing?.within,
  );
  const apollo = new ApolloServer<Context>({
    gateway: fixedSchemaGateway(schema, pipeline.executor),
    formatError,
    includeStacktraceInErrorResponses: false,
    introspection: config.GRAPHQL_INTROSPECTION,
    validationRules: limits.validationRules,
    parseOptions: limits.parseOptions,
    // Bounded in bytes as measured (Apollo's defaults leave the source text out of the size).
    documentStore,
    persistedQueries: {
      cache: persistedQueries,
      // Redis drops a text after its TTL; the in-memory cache is bounded by size alone.
      ...(config.APQ_REDIS_URL && { ttl: config.APQ_REDIS_TTL_SECONDS }),
    },
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

  const makeContext = async (request: FastifyRequest, light: boolean) => {
    if (!readiness.databaseReady) {
      throw new ServiceUnavailableError('Starting up: the database is not ready yet', true);
    }
    // The viewer is resolved once per request; a bad token stops it with 401.
    const viewer = await verifyToken(request.headers.authorization);
    const departure = request.clientDeparture!;
    // Held until the operation has ended (the handler below gives it back), even when its
    // client has gone: work that cannot be cancelled still counts against the limit.
    const gate = light && lightOperationGate ? lightOperationGate : operationGate;
    request.operationTurn = await gate.enter(departure);
    const routing = targets && (await targets.session(request.headers[CONSISTENCY_HEADER]));
    const context = createContext(orm, request, viewer, departure, routing);
    request.graphqlContext = context;
    tracing?.attach(context, request.headers);
    return context;
  };
  // Apollo's path takes a turn in the main lane: the operation is not costed before its context.
  const contextOf = (request: FastifyRequest, light = false) =>
    (request.graphqlContextMade ??= makeContext(request, light));
  const graphqlHandler = fastifyApolloHandler(apollo, { context: (request) => contextOf(request) });
  // Plugins from outside (tests), or Apollo's usage reporting, must see every operation.
  const fastPath =
    options.apolloPlugins?.length || config.APOLLO_KEY
      ? null
      : new GraphQLFastPath({
          pipeline,
          context: contextOf,
          light: (compiled, variables) =>
            !!lightOperationGate &&
            compiled.operation.operation === OperationTypeNode.QUERY &&
            queryCost.atMost(
              LIGHT_OPERATION_COST,
              compiled.document,
              compiled.operation,
              variables,
            ),
        });
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

  http.decorate('graphql', {
    apollo,
    operationGate,
    lightOperationGate,
    shadowMismatches,
    close: async () => {
      fastPath?.close(); // Apollo answers what still arrives while it drains, as it would
      await apollo.stop();
      // Operations whose clients left run on with no connection holding HTTP open.
      await Promise.all([operationGate.idle(), lightOperationGate?.idle()]);
      if (persistedQueries instanceof RedisPersistedQueryCache) await persistedQueries.close();
    },
  } satisfies GraphQLEndpoint);
}
