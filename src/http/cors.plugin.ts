import cors from '@fastify/cors';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type { Config } from '../config';

export interface CorsPluginOptions {
  /** CORS_ORIGINS: browser origins allowed to call the API, or `*` for any. */
  origins: Config['CORS_ORIGINS'];
}

/** Cross-origin calls from the browsers of `origins`, with the headers GraphQL clients send. */
export const corsPlugin = fp(allowOrigins, { name: 'cors', fastify: '5.x' });

async function allowOrigins(app: FastifyInstance, { origins }: CorsPluginOptions) {
  await app.register(cors, {
    origin: origins.includes('*') ? '*' : origins,
    methods: ['GET', 'POST', 'OPTIONS'],
    allowedHeaders: [
      'content-type',
      'authorization',
      'apollo-require-preflight',
      'x-apollo-operation-name',
      'x-request-id',
      // Read-your-writes with replicas (docs/operations.md#replicas-and-read-your-writes).
      'x-consistency-token',
    ],
    exposedHeaders: ['x-request-id', 'x-consistency-token'],
    maxAge: 600,
  });
}
