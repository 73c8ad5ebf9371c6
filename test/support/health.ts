import { expect } from '@jest/globals';
import { poolStats } from '../../src/db/pool-stats';
import type { TestServer } from './server';

/** After any failure: the next request succeeds and no connection is left checked out. */
export async function expectServerHealthy(server: TestServer): Promise<void> {
  const response = await server.gql('{ products(first: 1) { totalCount } }');
  expect(response.errors).toBeUndefined();
  expect(poolStats(server.orm)).toMatchObject({ used: 0, pendingAcquires: 0 });
}
