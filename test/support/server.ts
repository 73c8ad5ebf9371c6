import type { ApolloServerPlugin } from '@apollo/server';
import type { MikroORM } from '@mikro-orm/postgresql';
import pg from 'pg';
import pino from 'pino';
import { buildApp, type App } from '../../src/app';
import { signToken, type TokenClaims } from '../../src/auth/sign-token';
import { loadConfig, type Config } from '../../src/config';
import type { Tracing } from '../../src/observability/tracing/tracing';
import { initOrm } from '../../src/db/database';
import type { Context } from '../../src/graphql/context';
import { createTestDatabase } from './database';

export interface GraphQLResponse<TData = Record<string, unknown>> {
  status: number;
  data?: TData | null;
  errors?: {
    message: string;
    path?: (string | number)[];
    extensions?: { code?: string; fields?: { field: string; constraint: string }[] } & Record<
      string,
      unknown
    >;
  }[];
}

export interface TestServer {
  url: string;
  orm: MikroORM;
  app: App;
  config: Config;
  /** Plain SQL on the test database, outside the ORM: to arrange or to check behind its back. */
  sql<Row extends pg.QueryResultRow = pg.QueryResultRow>(
    text: string,
    values?: unknown[],
  ): Promise<Row[]>;
  /** POSTs a GraphQL document over real HTTP, with a bearer token when given. */
  gql<TData = Record<string, unknown>>(
    query: string,
    variables?: Record<string, unknown>,
    options?: { token?: string; headers?: Record<string, string>; operationName?: string },
  ): Promise<GraphQLResponse<TData>>;
  /** A token this server accepts (signed with its JWT_SECRET). */
  token(claims: TokenClaims): Promise<string>;
  close(): Promise<void>;
}

/**
 * The real server (buildApp) on a real port, over its own migrated database: what `npm start`
 * runs, minus the embedded default and the demo seed.
 */
export async function startTestServer(
  options: {
    env?: Record<string, string>;
    apolloPlugins?: ApolloServerPlugin<Context>[];
    /** Collects the server's log lines (JSON) at info level, for tests of what it logs. */
    logLines?: string[];
    /** Overrides the database URL (e.g. through a test proxy), given the real one. */
    databaseUrl?: (url: string) => string;
    /** A database of the test's own (a primary with a replica): used, not dropped. */
    database?: { url: string };
    /** OpenTelemetry for this server (tests give it an in-memory exporter). */
    tracing?: Tracing;
  } = {},
): Promise<TestServer> {
  const database = options.database
    ? { url: options.database.url, drop: async () => undefined }
    : await createTestDatabase();
  const config = loadConfig({
    NODE_ENV: 'test',
    LOG_LEVEL: 'silent',
    ...executionModeEnv(),
    // Every compiled run is checked against graphql-js: a difference fails the test (not in
    // production, where the config refuses it).
    ...(options.env?.NODE_ENV !== 'production' && { GRAPHQL_SHADOW_EXECUTION: 'true' }),
    ...options.env,
  });
  const lines = options.logLines;
  const logger = lines
    ? pino({ level: 'info' }, { write: (line: string) => void lines.push(line) })
    : pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });
  const orm = await initOrm(options.databaseUrl?.(database.url) ?? database.url, config, logger);
  const app = await buildApp({
    orm,
    config,
    logger,
    apolloPlugins: options.apolloPlugins,
    tracing: options.tracing,
  });
  const address = await app.http.listen({ host: '127.0.0.1', port: 0 });
  const sqlPool = new pg.Pool({ connectionString: database.url, max: 2 });
  // An idle client whose session the server ended (a test that drops the database) reports it
  // here; the next query gets a fresh client, which is all a test helper needs.
  sqlPool.on('error', () => undefined);

  return {
    url: address,
    orm,
    app,
    config,
    async sql<Row extends pg.QueryResultRow>(text: string, values?: unknown[]) {
      return (await sqlPool.query<Row>(text, values)).rows;
    },
    token: (claims) => signToken(config.JWT_SECRET!, claims),
    async gql(query, variables, options = {}) {
      const response = await fetch(`${address}/graphql`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
          ...options.headers,
        },
        body: JSON.stringify({ query, variables, operationName: options.operationName }),
      });
      const body = (await response.json()) as object;
      failOnShadowMismatch(app);
      return { status: response.status, ...body };
    },
    async close() {
      await app.close();
      await orm.close();
      await sqlPool.end();
      await database.drop();
      failOnShadowMismatch(app);
    },
  };
}

/**
 * TEST_EXECUTION_MODE picks the executor every test server uses, unless a test pins
 * GRAPHQL_COMPILE_AFTER itself: `graphql-js` (never compiled), `compiled` (from the first run),
 * or `default` / unset (the server's default: compiled from the second run).
 */
export function executionModeEnv(
  mode = process.env.TEST_EXECUTION_MODE ?? 'default',
): Record<string, string> {
  switch (mode) {
    case 'graphql-js':
      return { GRAPHQL_COMPILE_AFTER: '0' };
    case 'compiled':
      return { GRAPHQL_COMPILE_AFTER: '1' };
    case 'default':
      return {};
    default:
      throw new Error(`TEST_EXECUTION_MODE: ${mode} is none of graphql-js, compiled, default`);
  }
}

/** Throws (failing the test at hand) when a compiled run answered otherwise than graphql-js. */
export function failOnShadowMismatch(app: App): void {
  const mismatches = app.shadowMismatches.splice(0);
  if (!mismatches.length) return;
  const described = mismatches.map(
    (m) =>
      `operation ${m.operationName ?? '(anonymous)'}:\n  compiled:   ${m.compiled}\n  graphql-js: ${m.reference}`,
  );
  throw new Error(`Compiled execution differs from graphql-js:\n${described.join('\n')}`);
}
