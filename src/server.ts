import type { MikroORM } from '@mikro-orm/postgresql';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { Server as NetServer, type Socket } from 'node:net';
import { buildApp, type App } from './app';
import { activationSocket, tracesEndpoint, type Config } from './config';
import { isDatabaseUnavailable } from './db/database-errors';
import { initOrm, prepareDatabase } from './db/database';
import { startEmbeddedPostgres, type EmbeddedDatabase } from './db/embedded-postgres';
import type { AppLogger } from './logger';
import { createTracing } from './observability/tracing/tracing';

/** Longest the exporter may take to send what is buffered when the server stops. */
const TRACING_FLUSH_MS = 2000;

export interface RunningServer {
  app: App;
  orm: MikroORM;
  /** `http://host:port`; with a passed socket, `fd:3` until ready, then its address. */
  url: string;
  /** Settles when migrations ran and the server is ready; rejects on a non-transient failure. */
  databaseReady: Promise<void>;
  /** Not ready → finish in-flight requests → stop Apollo → close the pool → stop PostgreSQL. */
  stop(): Promise<void>;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Retries `prepare` while the database cannot be reached (it may still be starting, or
 * restarting), waiting 0.5 s, 1 s, 2 s … up to 10 s between attempts. Any other failure — a
 * migration that does not apply, say — is not going to heal by waiting, and is thrown.
 */
async function prepareWithRetry(
  prepare: () => Promise<void>,
  lifecycle: { stopping: boolean },
  logger?: AppLogger,
): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await prepare();
    } catch (error) {
      if (!isDatabaseUnavailable(error) || lifecycle.stopping) throw error;
      const wait = Math.min(500 * 2 ** attempt, 10_000);
      logger?.warn({ err: error, retryInMs: wait }, 'database not reachable yet; retrying');
      await sleep(wait);
    }
  }
}

/**
 * Longest wait, once no connection is accepted any more, for the idle ones to close: above the
 * idle timeout of the proxy's kept connections (nginx here: 4 s), so the proxy closes them.
 */
const IDLE_CONNECTIONS_GRACE_MS = 5_000;

/**
 * Closes the listening socket only, then waits until every open connection is busy with a
 * request (whose answer closes it): an idle one kept by a proxy is closed by the proxy, or
 * used once more and answered; one just accepted gets its request read. Closing either here
 * would lose a POST a proxy cannot resend, and Fastify's close answers 503 to a request that
 * arrives on one (docs/operations.md#rolling-restart). Busy ones are Apollo's drain's to wait for.
 */
async function stopAccepting(
  server: Server,
  connections: ReturnType<typeof trackConnections>,
  logger: AppLogger,
): Promise<void> {
  const { idle } = connections;
  if (!server.listening) return;
  // net's close, not http's; without a callback, which would wait for every connection to end.
  NetServer.prototype.close.call(server);
  const deadline = Date.now() + IDLE_CONNECTIONS_GRACE_MS;
  const started = Date.now();
  let left = idle();
  while (Date.now() < deadline && left > 0) {
    await sleep(20);
    left = idle();
  }
  const closed = connections.closeIdle();
  logger.info({ idleClosed: closed, ms: Date.now() - started }, 'stopped accepting connections');
}

/** Requests a connection is answering: set on the socket, so nothing is made per request. */
const IN_FLIGHT = Symbol('requests in flight');
type TrackedSocket = Socket & { [IN_FLIGHT]?: number };

/**
 * The server's open connections, for the drain: `idle()` counts those a client may still send
 * a request on (open, not ended by the client) that answer none now. A connection whose client
 * has gone (ended its side) is not waited for: nothing more can arrive on it.
 */
function trackConnections(server: Server): { idle: () => number; closeIdle: () => number } {
  const open = new Set<TrackedSocket>();
  function forget(this: TrackedSocket) {
    open.delete(this);
  }
  function answered(this: ServerResponse) {
    (this.req.socket as TrackedSocket)[IN_FLIGHT]! -= 1;
  }
  server.on('connection', (socket: TrackedSocket) => {
    open.add(socket);
    socket.once('close', forget);
  });
  server.on('request', (request: IncomingMessage, response: ServerResponse) => {
    const socket = request.socket as TrackedSocket;
    socket[IN_FLIGHT] = (socket[IN_FLIGHT] ?? 0) + 1;
    response.on('close', answered); // emitted once; `once` would wrap it per request
  });
  return {
    idle: () => {
      let count = 0;
      for (const socket of open) {
        if (!socket.destroyed && socket.readable && !socket[IN_FLIGHT]) count += 1;
      }
      return count;
    },
    // Past the grace, the connections answering nothing are closed: kept idle longer than a
    // proxy keeps them, opened with no request sent (a client that gave up before sending),
    // or ended by their client. Apollo's drain would wait its own 10 s grace for each.
    closeIdle: () => {
      let count = 0;
      for (const socket of open) {
        if (!socket.destroyed && !socket[IN_FLIGHT]) {
          socket.destroy();
          count += 1;
        }
      }
      return count;
    },
  };
}

/**
 * Serves on a listening socket passed by systemd or a holder (socket activation). Node's
 * `listen({ fd })`, not Fastify's `listen`, whose options do not include `fd`; after `ready()`,
 * as Fastify's own listen does. Returns the socket's address.
 */
async function listenOnSocket(app: App, fd: number): Promise<string> {
  await app.http.ready();
  const server = app.http.server;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ fd }, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  return address && typeof address === 'object'
    ? `http://${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${address.port}`
    : `fd:${fd}`;
}

/**
 * What `npm start` does: a database (DATABASE_URL, or the embedded default), the engine,
 * migrations and demo data, then the HTTP server. Whatever started before a failure is stopped.
 */
export async function startServer(config: Config, logger: AppLogger): Promise<RunningServer> {
  const cleanup: (() => Promise<unknown>)[] = [];
  // Every step runs even when an earlier one fails: a pool or an embedded PostgreSQL must not
  // outlive the process because closing HTTP threw.
  const stopAll = async () => {
    let firstError: Error | undefined;
    for (const step of cleanup.reverse()) {
      try {
        await step();
      } catch (error) {
        logger.error({ err: error }, 'a shutdown step failed');
        firstError ??= error instanceof Error ? error : new Error('a shutdown step failed');
      }
    }
    cleanup.length = 0;
    if (firstError) throw firstError;
  };
  const lifecycle = { stopping: false };
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
    // Off by default; on, its buffer is flushed (bounded) after the server has drained.
    const endpoint = tracesEndpoint(config);
    const tracing = endpoint
      ? createTracing({ serviceName: config.OTEL_SERVICE_NAME, endpoint })
      : undefined;
    if (tracing) cleanup.push(() => tracing.shutdown(TRACING_FLUSH_MS));

    const readiness = { databaseReady: false, shuttingDown: false };
    const app = await buildApp({ orm, config, logger, readiness, tracing });
    cleanup.push(() => app.close());
    // A bound port listens first: while the database is down or migrating, probes get "not
    // ready" instead of nothing. A passed socket is accepted from only once ready: until then
    // connections wait in its queue (docs/operations.md#socket-activation).
    const connections = trackConnections(app.http.server);
    const fd = activationSocket(config);
    if (fd === undefined && config.LISTEN_FDS !== undefined) {
      logger.warn(
        { LISTEN_PID: config.LISTEN_PID ?? null, pid: process.pid },
        'LISTEN_FDS is not for this process (LISTEN_PID differs or is unset): listening on PORT',
      );
    }
    let address =
      fd === undefined
        ? await app.http.listen({ host: config.HOST, port: config.PORT })
        : `fd:${fd}`;
    if (app.metricsHttp && config.METRICS_PORT !== undefined) {
      const metricsAddress = await app.metricsHttp.listen({
        host: config.HOST,
        port: config.METRICS_PORT,
      });
      logger.info(`metrics at ${metricsAddress}/metrics`);
    }

    const lockUrl = config.DATABASE_MIGRATION_URL ?? databaseUrl;
    const databaseReady = prepareWithRetry(
      () => prepareDatabase(orm, lockUrl, { seed: config.SEED_DEMO, logger, pool: config }),
      lifecycle,
      logger,
    ).then(async () => {
      if (fd !== undefined && !lifecycle.stopping) {
        address = await listenOnSocket(app, fd);
        running.url = address;
      }
      readiness.databaseReady = true;
      logger.info(`GraphQL API ready at ${address}/graphql`);
    });

    const running: RunningServer = {
      app,
      orm,
      url: address,
      databaseReady,
      stop: async () => {
        lifecycle.stopping = true; // no more start-up retries against a closing pool
        readiness.shuttingDown = true;
        // Each connection closes after its next answer, so a keep-alive proxy never sends one
        // more request on it once we stop (docs/operations.md#rolling-restart). Added now: no
        // cost before. Prepended: it must run before Fastify may answer.
        app.http.server.prependListener('request', (_request, response) => {
          response.shouldKeepAlive = false;
        });
        if (config.SHUTDOWN_DELAY_MS > 0) await sleep(config.SHUTDOWN_DELAY_MS);
        await stopAccepting(app.http.server, connections, logger);
        await stopAll();
      },
    };
    return running;
  } catch (error) {
    await stopAll().catch((e: unknown) =>
      logger.error({ err: e }, 'cleanup after a failed start failed'),
    );
    throw error;
  }
}
