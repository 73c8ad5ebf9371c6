import type { MikroORM } from '@mikro-orm/postgresql';
import Fastify, { type FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { createMetrics, type Metrics } from './metrics';

declare module 'fastify' {
  interface FastifyInstance {
    /** This app's registry and the instruments the other plugins record to. */
    metrics: Metrics;
    /** Serves `GET /metrics` on METRICS_PORT (not listening yet); null when /metrics is here. */
    metricsHttp: FastifyInstance | null;
  }
}

export interface MetricsPluginOptions {
  orm: MikroORM;
  /** METRICS_PORT is set: the scrape gets a listener of its own, away from the API's address. */
  ownListener: boolean;
}

/** `GET /metrics` (Prometheus), and the registry the other plugins record to. */
export const metricsPlugin = fp(metricsRoute, { name: 'metrics', fastify: '5.x' });

async function metricsRoute(app: FastifyInstance, { orm, ownListener }: MetricsPluginOptions) {
  const metrics = createMetrics(orm);
  const metricsHttp = ownListener ? Fastify({ logger: false }) : null;
  (metricsHttp ?? app).get('/metrics', async (_request, reply) => {
    void reply.type(metrics.registry.contentType);
    return metrics.registry.metrics();
  });
  app.decorate('metrics', metrics);
  app.decorate('metricsHttp', metricsHttp);
}
