import type { FastifyBaseLogger } from 'fastify';
import pino from 'pino';
import type { Config } from './config';

/** Fastify's logger type: the same pino instance logs boot, requests and the ORM. */
export type AppLogger = FastifyBaseLogger;

export function createLogger(config: Pick<Config, 'LOG_LEVEL'>): AppLogger {
  return pino({
    level: config.LOG_LEVEL,
    // Credentials never reach a log line, whatever logs a request or its headers.
    redact: ['req.headers.authorization', 'req.headers.cookie', 'headers.authorization'],
  });
}
