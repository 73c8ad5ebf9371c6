import { z } from 'zod';

/**
 * The only reader of `process.env`. Parsed once at boot; a bad value stops the start with a
 * message naming the variable, never a surprise at the first request.
 */

const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

const port = z.coerce.number().int().min(0).max(65535);
const positiveInt = z.coerce.number().int().positive();

const postgresUrl = (error = 'must be a postgres:// or postgresql:// URL') =>
  z.url({ protocol: /^postgres(ql)?$/, error });

/** A comma-separated list (blanks and empty items dropped), each item checked by `item`. */
const commaList = <Item extends z.ZodType<unknown, string>>(item: Item) =>
  z
    .string()
    .transform((v) =>
      v
        .split(',')
        .map((part) => part.trim())
        .filter(Boolean),
    )
    .pipe(z.array(item));

const EnvSchema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  HOST: z.string().min(1).default('localhost'),
  PORT: port.default(4000),
  /**
   * Unset: `GET /metrics` on PORT, next to the API. Set: only on this port (same HOST), so the
   * API's public address does not show operation names, error counts and pool state.
   */
  METRICS_PORT: port.optional(),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),

  /** Unset: the app starts an embedded PostgreSQL of its own (see src/db/embedded-postgres.ts). */
  DATABASE_URL: postgresUrl().optional(),
  /** The seed's `pool_size`: connections this process may hold at once. */
  DB_POOL_MAX: positiveInt.max(1000).default(10),
  /** Connections kept open while idle, so a quiet server answers its next request warm. */
  DB_POOL_MIN: z.coerce.number().int().min(0).default(2),
  /** How long a request may wait for a free connection before it fails (knex waits 60 s). */
  DB_ACQUIRE_TIMEOUT_MS: positiveInt.default(3000),
  /**
   * PostgreSQL cancels any statement that runs longer than this. 0 sends no setting, for a
   * pooler such as PgBouncer that refuses it at connect: then set it on the database role.
   */
  DB_STATEMENT_TIMEOUT_MS: z.coerce.number().int().min(0).default(10_000),
  /**
   * Fixed reads (loaders by id) are named prepared statements, parsed and planned once per
   * connection. `false` for a transaction-pooling PgBouncer older than 1.21 or one with
   * `max_prepared_statements = 0`, which cannot keep them across server connections.
   */
  DB_PREPARED_STATEMENTS: bool.default(true),
  /**
   * A direct connection for the migrations' advisory lock when DATABASE_URL goes through a
   * transaction-pooling PgBouncer (a session-level lock cannot live there; the migrations
   * themselves run in one transaction, which can). Default: DATABASE_URL.
   */
  DATABASE_MIGRATION_URL: postgresUrl().optional(),

  /**
   * Behind PgBouncer (issue 20). Where DB_STATEMENT_TIMEOUT_MS is applied: `connection` sends it
   * as a startup parameter (PgBouncer refuses those); `role` has the server set it on this
   * role in this database, for every new session (docs/scaling.md#statement-timeout).
   */
  DB_STATEMENT_TIMEOUT_ON: z
    .enum(['connection', 'role'], { error: 'must be connection or role' })
    .default('connection'),
  /*
   * Read replicas (docs/operations.md#replicas-and-read-your-writes): each query is pinned to
   * one target; mutations and transactions stay on the primary (DATABASE_URL).
   */
  /** Streaming replicas of DATABASE_URL's database, comma-separated; none by default. */
  DATABASE_REPLICA_URLS: commaList(
    postgresUrl('each replica must be a postgres:// or postgresql:// URL'),
  ).default([]),
  /** A replica further behind than this (ms) leaves the rotation until it catches up. */
  DATABASE_REPLICA_MAX_LAG_MS: positiveInt.default(10_000),
  /** How often each replica's health and lag are checked (ms). */
  DATABASE_REPLICA_CHECK_MS: z.coerce.number().int().min(50).max(60_000).default(1000),
  /** Signs consistency tokens (32+ characters). Default: derived from JWT_SECRET. */
  CONSISTENCY_TOKEN_SECRET: z.string().min(32, 'must be at least 32 characters').optional(),
  /** How long a consistency token is honoured, in seconds. */
  CONSISTENCY_TOKEN_TTL_S: positiveInt.max(3600).default(60),
  /** How long a read with a token waits for a replica to replay up to it before the primary. */
  CONSISTENCY_WAIT_MS: z.coerce.number().int().min(0).max(10_000).default(200),

  EMBEDDED_PG_DIR: z.string().min(1).default('.data/postgres'),
  EMBEDDED_PG_PORT: port.default(54329),
  /** Seed the demo catalog on start when the database has no products yet. */
  SEED_DEMO: bool.default(true),

  /** Limits on what one request may ask (see src/graphql/limits.ts). */
  GRAPHQL_MAX_DEPTH: positiveInt.default(12),
  GRAPHQL_MAX_ALIASES: positiveInt.default(20),
  GRAPHQL_MAX_TOKENS: positiveInt.default(3000),
  GRAPHQL_MAX_COST: positiveInt.default(10_000),
  GRAPHQL_MAX_DIRECTIVES: positiveInt.default(30),
  /**
   * Longest document (UTF-8 bytes of `query`) accepted, refused before it is parsed or hashed:
   * comments and whitespace cost no tokens, so the token limit alone lets megabytes through.
   */
  GRAPHQL_MAX_DOCUMENT_BYTES: positiveInt.default(32_768),
  /**
   * Memory for the documents the server keeps between requests, in MB of heap (each entry sized
   * by its measured cost, src/graphql/document-caches.ts): parsed and validated documents, and
   * the compiled forms of queries. Least recently used entries go first.
   */
  GRAPHQL_DOCUMENT_CACHE_MB: positiveInt.max(4096).default(32),
  GRAPHQL_COMPILED_CACHE_MB: positiveInt.max(4096).default(64),
  /** Memory for automatic persisted queries' texts (by their hash), in MB. */
  APQ_CACHE_MB: positiveInt.max(4096).default(16),
  /**
   * Operations run at once; later ones queue in arrival order (src/graphql/operation-gate.ts).
   * Enough to keep the one event loop busy while others wait on SQL round trips (a product
   * lookup needs ~4 at 0.25 ms of CPU each), few enough that deep queries do not interleave
   * (docs/performance.md#operation-gate). Raise it for
   * a database that is far away (higher round-trip time).
   */
  GRAPHQL_MAX_CONCURRENT_OPERATIONS: positiveInt.max(10_000).default(6),
  /**
   * Light queries (a lookup by id with its relations: estimated cost ≤ 20) answered by the fast
   * path run in a lane of their own, this many at once, so they neither wait behind deep queries
   * nor leave the event loop idle while a few wait on round trips
   * (docs/performance.md#operation-gate). 0: no lane, every operation takes a turn above.
   */
  GRAPHQL_MAX_CONCURRENT_LIGHT_OPERATIONS: z.coerce.number().int().min(0).max(10_000).default(48),
  /** How long an operation may wait for its turn before it gets SERVICE_UNAVAILABLE (503). */
  GRAPHQL_MAX_QUEUE_WAIT_MS: positiveInt.default(5000),
  /**
   * A query document is compiled to a function (graphql-jit) on its Nth run and executed that
   * way from then on (src/graphql/compiled-execution.ts); 0 keeps every operation on graphql-js.
   */
  GRAPHQL_COMPILE_AFTER: z.coerce.number().int().min(0).default(2),
  /**
   * Tests only (test/support/server.ts sets it): every compiled run is run again by graphql-js
   * and any difference in the answers is reported (src/graphql/shadow-execution.ts). Refused in
   * production: it doubles the work of every compiled query.
   */
  GRAPHQL_SHADOW_EXECUTION: bool.default(false),
  /**
   * Apollo GraphOS usage reporting (Apollo Server reads APOLLO_KEY and APOLLO_GRAPH_REF itself).
   * Read here only to know that it is on: then every operation goes through Apollo's pipeline,
   * none through the fast path (src/graphql/fast-path.ts), so that the report sees them all.
   */
  APOLLO_KEY: z.string().min(1).optional(),
  /** Largest request body accepted, in bytes. */
  HTTP_BODY_LIMIT: positiveInt.default(262_144),
  /**
   * Deepest nesting of arrays and objects a JSON body (or GET `variables`/`extensions`) may
   * have; deeper is refused with 400 before anything parses or walks it (no GraphQL input needs
   * more, and recursive code downstream would overflow the stack).
   */
  HTTP_MAX_JSON_DEPTH: positiveInt.max(1000).default(64),
  /** A request's headers and body must arrive within this; a client trickling them gets 408. */
  HTTP_REQUEST_TIMEOUT_MS: positiveInt.default(30_000),
  /** Its headers alone within this (Node's headersTimeout; at most HTTP_REQUEST_TIMEOUT_MS). */
  HTTP_HEADERS_TIMEOUT_MS: positiveInt.default(10_000),
  /** A socket with no traffic at all for this long is closed (a stalled client or proxy). */
  HTTP_CONNECTION_TIMEOUT_MS: positiveInt.default(120_000),
  /**
   * How long an idle keep-alive connection stays open for its next request. Above a load
   * balancer's own idle timeout (AWS ALB: 60 s), so the server never closes one it reuses.
   */
  HTTP_KEEP_ALIVE_TIMEOUT_MS: positiveInt.default(65_000),
  /**
   * After a 413, how many more bytes and milliseconds the server reads and discards before it
   * closes the socket, so a client still sending reads the 413 instead of a reset (nginx's
   * lingering close).
   */
  HTTP_LINGER_BYTES: z.coerce.number().int().min(0).default(1_048_576),
  HTTP_LINGER_MS: z.coerce.number().int().min(0).default(2000),
  /** Schema tooling needs introspection; default on, except when NODE_ENV=production. */
  GRAPHQL_INTROSPECTION: bool.optional(),
  /** The offline GraphQL Playground at /playground; default on, except when NODE_ENV=production. */
  GRAPHQL_PLAYGROUND: bool.optional(),
  /** Seconds a query response may be cached by browsers and CDNs (mostly over GET); 0: never. */
  HTTP_CACHE_MAX_AGE: z.coerce.number().int().min(0).max(86_400).default(5),
  // Many instances (docs/operations.md#many-instances): APQ texts in a store they share.
  /** Unset: APQ texts stay in this process's heap (APQ_CACHE_MB). Set: in this Redis, shared. */
  APQ_REDIS_URL: z
    .url({ protocol: /^rediss?$/, error: 'must be a redis:// or rediss:// URL' })
    .optional(),
  /** How long a registered text stays in Redis; a client whose hash has gone registers again. */
  APQ_REDIS_TTL_SECONDS: positiveInt.max(30 * 24 * 3600).default(24 * 3600),
  /** Longest a request waits on Redis (connect or command) before taking it as a miss. */
  APQ_REDIS_TIMEOUT_MS: positiveInt.max(10_000).default(250),
  /** Browser origins allowed to call the API (comma-separated, or * for any); none by default. */
  CORS_ORIGINS: commaList(
    z.union([z.literal('*'), z.url({ error: 'each origin must be a URL' })]),
  ).default([]),

  /** After SIGTERM, how long readiness reports 503 before the server stops taking requests. */
  SHUTDOWN_DELAY_MS: z.coerce.number().int().min(0).default(0),
  /** Longest a shutdown may take before the process exits anyway. */
  SHUTDOWN_TIMEOUT_MS: positiveInt.default(15_000),

  /**
   * Socket activation (issue 20, systemd's protocol, `man sd_listen_fds`): a listening socket
   * handed over as fd 3, served instead of binding HOST:PORT, so that it outlives a restart
   * (docs/operations.md#socket-activation). Set by systemd or a holder, not by hand.
   */
  LISTEN_FDS: z.coerce.number().int().min(0).optional(),
  LISTEN_PID: z.coerce.number().int().positive().optional(),

  /** HS256 secret for bearer tokens (at least 32 characters). Unset in development: a fixed one. */
  JWT_SECRET: z.string().min(32, 'must be at least 32 characters').optional(),
  /** JWKS of an identity provider (RS256/ES256 tokens); takes the place of JWT_SECRET. */
  JWT_JWKS_URL: z.url({ protocol: /^https?$/ }).optional(),
  /** When set, tokens must carry this `iss` / `aud`. */
  JWT_ISSUER: z.string().min(1).optional(),
  JWT_AUDIENCE: z.string().min(1).optional(),

  /**
   * Tracing (issue 20), OpenTelemetry's own variables: off unless an OTLP endpoint is set. The
   * traces endpoint is used as given; the general one gets `/v1/traces` (OTel's rule).
   */
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: z.url({ protocol: /^https?$/ }).optional(),
  OTEL_EXPORTER_OTLP_ENDPOINT: z.url({ protocol: /^https?$/ }).optional(),
  OTEL_SERVICE_NAME: z.string().min(1).default('catalog-graphql'),
});

/** The OTLP/HTTP traces URL the config asks for; undefined when tracing is off. */
export function tracesEndpoint(config: Config): string | undefined {
  if (config.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) return config.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT;
  const base = config.OTEL_EXPORTER_OTLP_ENDPOINT;
  return base ? `${base.replace(/\/+$/, '')}/v1/traces` : undefined;
}

/** systemd's rule: the sockets are this process's only when LISTEN_PID names it; unset, they are not. */
function isForThisProcess(config: Config, pid = process.pid): boolean {
  return config.LISTEN_FDS !== undefined && config.LISTEN_PID === pid;
}

/** The first passed fd (systemd's SD_LISTEN_FDS_START). */
const LISTEN_FDS_START = 3;

/**
 * The listening socket systemd (or a holder) passed to this process, or undefined: bind
 * HOST:PORT. Variables meant for another process (a parent's, inherited) are ignored.
 */
export function activationSocket(config: Config, pid = process.pid): number | undefined {
  return isForThisProcess(config, pid) ? LISTEN_FDS_START : undefined;
}

/** The variables of socket activation, which a child of this process must not inherit. */
export const SOCKET_ACTIVATION_VARIABLES = ['LISTEN_FDS', 'LISTEN_PID', 'LISTEN_FDNAMES'] as const;

/**
 * Signs the tokens `npm run token` prints for local use. Public by design, so production
 * refuses it (and refuses to run with no way to verify tokens at all).
 */
const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '::1']);

export const DEVELOPMENT_JWT_SECRET = 'catalog-graphql-development-secret-not-for-production';

export type Config = Readonly<z.infer<typeof EnvSchema>>;

/** Every variable the server reads (the README documents each; a test checks). */
export const CONFIG_VARIABLES = Object.keys(EnvSchema.shape);

export class ConfigError extends Error {
  constructor(readonly issues: string[]) {
    super(`Invalid configuration:\n${issues.map((i) => `  - ${i}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  // Empty strings mean "unset": `PORT= npm start` must not parse as port 0.
  const present = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== ''));
  const parsed = EnvSchema.safeParse(present);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`),
    );
  }
  const config = parsed.data;
  const problems: string[] = [];
  if (config.DB_POOL_MIN > config.DB_POOL_MAX) {
    problems.push(`DB_POOL_MIN: must not exceed DB_POOL_MAX (${config.DB_POOL_MAX})`);
  }
  if (config.METRICS_PORT === config.PORT && config.PORT !== 0) {
    problems.push(`METRICS_PORT: must differ from PORT (${config.PORT}); unset it to serve both`);
  }
  if (config.HTTP_HEADERS_TIMEOUT_MS > config.HTTP_REQUEST_TIMEOUT_MS) {
    problems.push(
      `HTTP_HEADERS_TIMEOUT_MS: must not exceed HTTP_REQUEST_TIMEOUT_MS (${config.HTTP_REQUEST_TIMEOUT_MS})`,
    );
  }
  if (config.JWT_SECRET && config.JWT_JWKS_URL) {
    problems.push('JWT_SECRET: set either JWT_SECRET or JWT_JWKS_URL, not both');
  }
  if (config.JWT_JWKS_URL) {
    // A provider's keys sign the tokens of every application it serves: without `aud`, a token
    // issued to another of them would be taken for one issued to this API.
    if (!config.JWT_AUDIENCE) {
      problems.push('JWT_AUDIENCE: required with JWT_JWKS_URL (the `aud` this API accepts)');
    }
    if (!config.JWT_ISSUER) {
      problems.push('JWT_ISSUER: required with JWT_JWKS_URL (the `iss` of your provider)');
    }
  }
  if (config.NODE_ENV === 'production') {
    if (config.GRAPHQL_SHADOW_EXECUTION) {
      problems.push(
        'GRAPHQL_SHADOW_EXECUTION: for tests only (it runs every compiled query twice)',
      );
    }
    if (config.JWT_SECRET === DEVELOPMENT_JWT_SECRET) {
      problems.push('JWT_SECRET: the development secret is public; production needs its own');
    } else if (!config.JWT_SECRET && !config.JWT_JWKS_URL) {
      problems.push('JWT_SECRET: production needs JWT_SECRET or JWT_JWKS_URL to verify tokens');
    }
  }
  const noVerifier = !config.JWT_SECRET && !config.JWT_JWKS_URL;
  if (noVerifier && !LOOPBACK_HOSTS.has(config.HOST)) {
    // A server others can reach must not accept tokens anyone can sign, whatever NODE_ENV says.
    problems.push(
      `JWT_SECRET: HOST ${config.HOST} is reachable from other machines; set JWT_SECRET or JWT_JWKS_URL (the development secret is for loopback only)`,
    );
  }
  if (
    config.DATABASE_REPLICA_URLS.length &&
    !config.CONSISTENCY_TOKEN_SECRET &&
    config.JWT_JWKS_URL
  ) {
    // No JWT_SECRET to derive it from: every instance must share the same secret.
    problems.push('CONSISTENCY_TOKEN_SECRET: required with DATABASE_REPLICA_URLS and JWT_JWKS_URL');
  }
  if (isForThisProcess(config) && config.LISTEN_FDS !== 1) {
    problems.push(
      `LISTEN_FDS: ${config.LISTEN_FDS} sockets passed; the server serves exactly one (one ListenStream= in the .socket unit)`,
    );
  }
  if (problems.length) throw new ConfigError(problems);
  if (noVerifier) config.JWT_SECRET = DEVELOPMENT_JWT_SECRET;
  const development = config.NODE_ENV !== 'production';
  config.GRAPHQL_INTROSPECTION ??= development;
  config.GRAPHQL_PLAYGROUND ??= development;
  return Object.freeze(config);
}
