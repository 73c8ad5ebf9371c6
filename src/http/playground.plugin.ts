import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { dirname, join } from 'node:path';
import { ASSETS_PREFIX, sendPlayground } from './playground';

export interface PlaygroundPluginOptions {
  /** The GraphQL endpoint the page sends its queries to. */
  endpoint: string;
}

/**
 * `/playground` and its assets, from the bundle in `graphql-playground-react`. A browser opening
 * the endpoint itself gets the page from the graphql plugin (src/graphql/graphql.plugin.ts).
 */
export const playgroundPlugin = fp(playground, { name: 'playground', fastify: '5.x' });

async function playground(app: FastifyInstance, { endpoint }: PlaygroundPluginOptions) {
  const build = join(dirname(require.resolve('graphql-playground-react/package.json')), 'build');
  await app.register(fastifyStatic, {
    root: build,
    prefix: ASSETS_PREFIX,
    allowedPath: (path) =>
      /^\/(static\/(js|css|media)\/[\w.-]+|favicon\.png|logo\.png)$/.test(path),
    maxAge: '1d',
  });
  app.get('/playground', async (_request, reply) => sendPlayground(reply, endpoint));
}
