import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Product } from '../../catalog/product/product.entity';
import { createProduct } from '../../../test/support/factories';
import {
  startReplicatedServer,
  until,
  type ReplicatedServer,
  type StreamingPair,
} from '../../../test/support/replica';
import { metricsText } from '../../../test/support/metrics';
import type { TestServer } from '../../../test/support/server';

/** A replica down or too far behind leaves the rotation, and comes back when well again. */
describe('replica health', () => {
  let pair: StreamingPair;
  let server: TestServer;
  let replicated: ReplicatedServer | undefined;
  let product: Product;

  beforeAll(async () => {
    replicated = await startReplicatedServer({
      env: {
        DATABASE_REPLICA_CHECK_MS: '100',
        DATABASE_REPLICA_MAX_LAG_MS: '500',
      },
    });
    ({ pair, server } = replicated);
    product = await createProduct(server.orm, { name: 'Teapot' });
    await pair.caughtUp();
  });
  afterAll(async () => {
    await replicated?.close();
  });

  const ready = async () => {
    const response = await fetch(`${server.url}/health/ready`);
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };
  const replicaIs = (state: string) => async () =>
    ((await ready()).body.targets as Record<string, string>).replica1 === state;
  const name = async () => {
    const response = await server.gql<{ product: { name: string } }>(
      `{ product(id: "${product.id}") { name } }`,
    );
    expect(response.errors).toBeUndefined();
    return response.data!.product.name;
  };
  const rename = (to: string) =>
    server.sql('update product set name = $1 where id = $2', [to, product.id]);

  it('lists every target and its state on /health/ready', async () => {
    await until(replicaIs('up'), 'the replica to be up');
    expect(await ready()).toEqual({
      status: 200,
      body: { status: 'ok', targets: { primary: 'up', replica1: 'up' } },
    });
  });

  it("shows each target's statements, state and lag on /metrics: a query's are all the replica's", async () => {
    await until(replicaIs('up'), 'the replica to be up');
    const statements = async (target: string) =>
      Number(
        new RegExp(
          `^db_target_statements_total\\{target="${target}",outcome="ok"\\} (\\d+)$`,
          'm',
        ).exec(await metricsText(server))?.[1] ?? 0,
      );
    const before = { primary: await statements('primary'), replica: await statements('replica1') };
    await server.gql(
      `{ products(first: 5) { totalCount edges { node { name category { name } } } } }`,
    );
    expect(await statements('primary')).toBe(before.primary);
    expect(await statements('replica1')).toBeGreaterThan(before.replica);
    const text = await metricsText(server);
    expect(text).toMatch(/^db_target_up\{target="replica1",state="up"\} 1$/m);
    expect(text).toMatch(/^db_replica_lag_seconds\{target="replica1"\} [\d.e-]+$/m);
    expect(text).toMatch(/^db_target_pool_connections\{target="replica1",state="idle"\} \d+$/m);
  });

  it('reads on the primary while a replica lags too far, and on it again once caught up', async () => {
    await pair.pauseReplay();
    await rename('Kettle');
    await until(replicaIs('lagging'), 'the replica to be lagging', 15_000);
    expect(await name()).toBe('Kettle'); // the primary's: the replica still says Teapot
    expect((await ready()).status).toBe(200);
    await pair.resumeReplay();
    await until(replicaIs('up'), 'the replica to be back');
    // Back in the rotation: a primary write it has not replayed is not seen.
    await pair.pauseReplay();
    await rename('Samovar');
    expect(await name()).toBe('Kettle');
    await pair.resumeReplay();
  });

  it('reads on the primary while a replica is down, still ready, and uses it again when back', async () => {
    await pair.stopReplica();
    expect(await name()).toBe('Samovar');
    await until(replicaIs('down'), 'the replica to be down');
    expect((await ready()).status).toBe(200);
    expect(await name()).toBe('Samovar');
    await pair.startReplica();
    await pair.caughtUp();
    await until(replicaIs('up'), 'the replica to be back');
    await pair.pauseReplay();
    await rename('Cauldron');
    expect(await name()).toBe('Samovar'); // the replica's again
    await pair.resumeReplay();
  });
});
