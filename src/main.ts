import 'reflect-metadata';
import { ConfigError, loadConfig, SOCKET_ACTIVATION_VARIABLES } from './config';
import { createLogger } from './logger';
import { startServer } from './server';

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`${error.message}\n`);
    process.exit(1);
  }
  // Read once: a child of this process (the embedded PostgreSQL) must not take the passed
  // socket's variables for its own (sd_listen_fds' unset_environment).
  for (const name of SOCKET_ACTIVATION_VARIABLES) delete process.env[name];
  const logger = createLogger(config);
  // Signals are taken from the start: one that arrives while the server (or its embedded
  // PostgreSQL) is starting stops it once started, instead of leaving a database behind.
  let requested: NodeJS.Signals | null = null;
  let shutdown = (signal: NodeJS.Signals) => void (requested ??= signal);
  process.on('SIGTERM', (signal) => shutdown(signal));
  process.on('SIGINT', (signal) => shutdown(signal));

  let server;
  try {
    server = await startServer(config, logger);
  } catch (error) {
    logger.fatal({ err: error }, 'server failed to start');
    process.exit(1);
  }

  let stopping = false;
  server.databaseReady.catch((error: unknown) => {
    if (stopping) return; // the shutdown ended the start-up retries
    logger.fatal({ err: error }, 'database preparation failed');
    void server.stop().finally(() => process.exit(1));
  });

  shutdown = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    setTimeout(() => {
      logger.error('shutdown timed out; exiting');
      process.exit(1);
    }, config.SHUTDOWN_TIMEOUT_MS).unref();
    server.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  if (requested) shutdown(requested);
}

void main();
