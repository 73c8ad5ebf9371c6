import type { TestServer } from './server';

/** The server's `/metrics` page, as Prometheus scrapes it. */
export async function metricsText(server: TestServer): Promise<string> {
  return (await fetch(`${server.url}/metrics`)).text();
}

/** SQL statements booked so far by the operations of this name (the SQL budget's sum). */
export async function sqlStatementsOf(server: TestServer, operation: string): Promise<number> {
  const line = new RegExp(
    `^graphql_operation_sql_statements_sum\\{operation="${operation}"\\} (\\d+)$`,
    'm',
  );
  return Number(line.exec(await metricsText(server))?.[1] ?? 0);
}

/** Bytes a document cache takes, as /metrics shows it (graphql_cache_bytes). */
export async function cacheBytesOf(
  server: TestServer,
  cache: 'documents' | 'compiled' | 'persisted_queries',
): Promise<number> {
  const line = new RegExp(`^graphql_cache_bytes\\{cache="${cache}"\\} (\\d+)$`, 'm');
  const bytes = line.exec(await metricsText(server))?.[1];
  if (bytes === undefined) throw new Error(`/metrics shows no graphql_cache_bytes for ${cache}`);
  return Number(bytes);
}
