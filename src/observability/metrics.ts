import type { MikroORM } from '@mikro-orm/postgresql';
import type { OperationGate } from '../graphql/operation-gate';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { poolStats } from '../db/pool-stats';
import { replicasOf, type DatabaseTargets } from '../db/replicas/targets';
import { observeStatements } from './statement-events';

const SECONDS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/**
 * The numbers people watch, for `GET /metrics` (Prometheus). One registry per app, so tests
 * and several apps in one process never share counters.
 */
export function createMetrics(orm: MikroORM) {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });

  const metrics = {
    registry,
    httpDuration: new Histogram({
      name: 'http_request_duration_seconds',
      help: 'HTTP requests by route and status',
      labelNames: ['method', 'route', 'status'] as const,
      buckets: SECONDS,
      registers: [registry],
    }),
    operationDuration: new Histogram({
      name: 'graphql_operation_duration_seconds',
      help: 'GraphQL operations by name, type and outcome (ok or error)',
      labelNames: ['operation', 'type', 'outcome'] as const,
      buckets: SECONDS,
      registers: [registry],
    }),
    errors: new Counter({
      name: 'graphql_errors_total',
      help: 'GraphQL errors by extensions.code',
      labelNames: ['code'] as const,
      registers: [registry],
    }),
    documentsCompiled: new Counter({
      name: 'graphql_documents_compiled_total',
      help: 'Query documents compiled to functions (graphql-jit), by outcome: ok, failed, or skipped (see notCompilable)',
      labelNames: ['outcome'] as const,
      registers: [registry],
    }),
    sqlDuration: new Histogram({
      name: 'db_statement_duration_seconds',
      help: 'SQL statements run through the pool, by outcome',
      labelNames: ['outcome'] as const,
      buckets: SECONDS,
      registers: [registry],
    }),
  };

  new Gauge({
    name: 'db_pool_connections',
    help: 'Connections of the pool: in use, idle, and acquires waiting for one',
    labelNames: ['state'] as const,
    registers: [registry],
    collect() {
      const stats = poolStats(orm);
      this.set({ state: 'used' }, stats.used);
      this.set({ state: 'idle' }, stats.idle);
      this.set({ state: 'pending_acquire' }, stats.pendingAcquires);
      this.set({ state: 'pending_create' }, stats.pendingCreates);
    },
  });

  observeStatements(orm, {
    finished: (seconds, outcome) => metrics.sqlDuration.observe({ outcome }, seconds),
  });
  const targets = replicasOf(orm);
  if (targets) observeTargets(registry, targets);
  return metrics;
}

/**
 * With replicas (src/db/replicas): each target's pool, statements, state and lag. The metrics
 * above stay the primary's, as without replicas.
 */
function observeTargets(registry: Registry, targets: DatabaseTargets): void {
  new Gauge({
    name: 'db_target_pool_connections',
    help: "Connections of each target's pool (primary, replica1…): in use, idle, acquires waiting",
    labelNames: ['target', 'state'] as const,
    registers: [registry],
    collect() {
      for (const { name, orm } of targets.all) {
        const stats = poolStats(orm);
        this.set({ target: name, state: 'used' }, stats.used);
        this.set({ target: name, state: 'idle' }, stats.idle);
        this.set({ target: name, state: 'pending_acquire' }, stats.pendingAcquires);
      }
    },
  });
  new Gauge({
    name: 'db_target_up',
    help: 'Whether each replica is in the rotation (1), or out of it: down or lagging (0)',
    labelNames: ['target', 'state'] as const,
    registers: [registry],
    collect() {
      for (const replica of targets.replicas) {
        for (const state of ['up', 'down', 'lagging'] as const) {
          this.set({ target: replica.name, state }, replica.state === state ? 1 : 0);
        }
      }
    },
  });
  new Gauge({
    name: 'db_replica_lag_seconds',
    help: 'Replay lag of each replica at its last health check (DATABASE_REPLICA_CHECK_MS)',
    labelNames: ['target'] as const,
    registers: [registry],
    collect() {
      for (const replica of targets.replicas)
        this.set({ target: replica.name }, replica.lagMs / 1000);
    },
  });
  const statements = new Counter({
    name: 'db_target_statements_total',
    help: "SQL statements run by each target's pool, by outcome",
    labelNames: ['target', 'outcome'] as const,
    registers: [registry],
  });
  for (const { name, orm } of targets.all) {
    observeStatements(orm, {
      finished: (_s, outcome) => statements.inc({ target: name, outcome }),
    });
  }
}

export type Metrics = ReturnType<typeof createMetrics>;

/** The admission queue: operations running, and waiting for their turn, in both lanes. */
export function observeOperationGate(
  metrics: Metrics,
  gate: OperationGate,
  lightGate?: OperationGate,
): void {
  new Gauge({
    name: 'graphql_operations_in_flight',
    help: 'GraphQL operations running, and waiting for a turn (GRAPHQL_MAX_CONCURRENT_OPERATIONS, GRAPHQL_MAX_CONCURRENT_LIGHT_OPERATIONS)',
    labelNames: ['state'] as const,
    registers: [metrics.registry],
    collect() {
      this.set({ state: 'running' }, gate.active + (lightGate?.active ?? 0));
      this.set({ state: 'waiting' }, gate.waiting + (lightGate?.waiting ?? 0));
    },
  });
}

/** The caches the server keeps of clients' documents, in bytes as their entries were sized. */
export function observeDocumentCaches(
  metrics: Metrics,
  caches: Record<'documents' | 'compiled' | 'persisted_queries', { readonly bytes: number }>,
): void {
  new Gauge({
    name: 'graphql_cache_bytes',
    help: 'Heap the document caches take (GRAPHQL_DOCUMENT_CACHE_MB, GRAPHQL_COMPILED_CACHE_MB, APQ_CACHE_MB)',
    labelNames: ['cache'] as const,
    registers: [metrics.registry],
    collect() {
      for (const [cache, { bytes }] of Object.entries(caches)) this.set({ cache }, bytes);
    },
  });
}
