import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Product } from '../../catalog/product/product.entity';
import { createProduct } from '../../../test/support/factories';
import {
  startReplicatedServer,
  until,
  type ReplicatedServer,
  type StreamingPair,
} from '../../../test/support/replica';
import type { TestServer } from '../../../test/support/server';

/**
 * The primary down while a replica is up (docs/operations.md#the-primary-down-with-replicas):
 * the instance stays ready for reads, answers queries from the replica, refuses mutations with
 * SERVICE_UNAVAILABLE, and is whole again once the primary is back. The primary stopped is this
 * test's own (a streaming pair), never the suite's.
 */
describe('the primary down, a replica up', () => {
  let pair: StreamingPair;
  let server: TestServer;
  let replicated: ReplicatedServer | undefined;
  let admin: string;
  let product: Product;

  beforeAll(async () => {
    replicated = await startReplicatedServer({ env: { DATABASE_REPLICA_CHECK_MS: '100' } });
    ({ pair, server } = replicated);
    admin = await server.token({ sub: 'admin', roles: ['admin'] });
    product = await createProduct(server.orm, { name: 'Sieve' });
    await pair.caughtUp();
    await until(async () => (await ready()).body.status === 'ok', 'the instance to be ready');
  });
  afterAll(async () => {
    await replicated?.close();
  });

  const ready = async () => {
    const response = await fetch(`${server.url}/health/ready`);
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };
  const read = () =>
    server.gql<{ product: { name: string } }>(`{ product(id: "${product.id}") { name } }`);
  const rename = (to: string) =>
    server.gql<{ updateProduct: { name: string } }>(
      `mutation { updateProduct(id: "${product.id}", input: { name: "${to}" }) { name } }`,
      {},
      { token: admin },
    );

  it('stays ready for reads, serves queries from the replica, refuses mutations clearly, and recovers', async () => {
    await pair.stopPrimary();

    expect(await ready()).toEqual({
      status: 200,
      body: {
        status: 'degraded',
        reason: 'primary unreachable: reads only',
        targets: { primary: 'down', replica1: 'up' },
      },
    });
    // Three times: graphql-js first, then compiled (the fast path).
    for (let run = 0; run < 3; run += 1) {
      const response = await read();
      expect(response.errors).toBeUndefined();
      expect(response.data).toEqual({ product: { name: 'Sieve' } });
    }

    const refused = await rename('Colander');
    expect(refused.data).toBeNull();
    expect(refused.errors).toHaveLength(1);
    const [error] = refused.errors as [{ message: string; extensions: { code: string } }];
    expect(error.extensions.code).toBe('SERVICE_UNAVAILABLE');
    // No SQL, host, port or driver detail in what the client sees.
    expect(error.message).not.toMatch(
      /select|update|insert|127\.0\.0\.1|localhost|ECONN|:\d{4,5}/i,
    );

    await pair.startPrimary();
    await until(async () => (await ready()).body.status === 'ok', 'readiness to recover');
    expect((await ready()).body.targets).toEqual({ primary: 'up', replica1: 'up' });
    const renamed = await rename('Colander');
    expect(renamed.errors).toBeUndefined();
    expect(renamed.data).toEqual({ updateProduct: { name: 'Colander' } });
    await pair.caughtUp();
    expect((await read()).data).toEqual({ product: { name: 'Colander' } });
  });

  it('is not ready when the primary and every replica are down', async () => {
    await pair.stopPrimary();
    await pair.stopReplica();
    await until(async () => (await ready()).status === 503, 'readiness to fail');
    expect((await ready()).body).toEqual({
      status: 'unavailable',
      reason: 'database unreachable',
      targets: { primary: 'down', replica1: 'down' },
    });
    await pair.startPrimary();
    await pair.startReplica();
    await until(async () => (await ready()).body.status === 'ok', 'readiness to recover');
  });
});
