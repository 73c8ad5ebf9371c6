import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { OperationTypeNode } from 'graphql';
import pino from 'pino';
import { createContext } from '../../graphql/context';
import { selectRows } from '../../shared/sql';
import { createProduct } from '../../../test/support/factories';
import {
  startReplicatedServer,
  type ReplicatedServer,
  type StreamingPair,
} from '../../../test/support/replica';
import type { TestServer } from '../../../test/support/server';
import { replicasOf } from './targets';

/**
 * A read that a standby cancels because replay must go on (a recovery conflict, SQLSTATE 40001)
 * is the replica's trouble, not the request's: it runs again on the primary, once.
 */
describe('a recovery conflict on a replica', () => {
  let pair: StreamingPair;
  let server: TestServer;
  let replicated: ReplicatedServer | undefined;
  let productId: number;

  beforeAll(async () => {
    // Conflicting reads are cancelled at once instead of after 30 s.
    replicated = await startReplicatedServer({
      replicaSettings: ['max_standby_streaming_delay = 0'],
    });
    ({ pair, server } = replicated);
    productId = (await createProduct(server.orm, { name: 'Lantern' })).id;
    await pair.caughtUp();
  });
  afterAll(async () => {
    await replicated?.close();
  });

  it('runs the read again on the primary instead of failing it', async () => {
    const targets = replicasOf(server.orm)!;
    const log = pino({ level: 'silent' });
    const context = createContext(
      server.orm,
      { id: 'r1', log },
      null,
      undefined,
      await targets.session(undefined),
    );
    await context.route(OperationTypeNode.QUERY);
    expect(context.routing?.target.name).toBe('replica1');

    // Long enough for the primary's exclusive lock to reach the replica while it runs.
    const reading = selectRows<{ name: string; standby: boolean }>(
      context.em,
      'select name, pg_is_in_recovery() as standby from product, pg_sleep(2) where id = ?',
      [productId],
    );
    await untilRunningOnReplica();
    await server.sql('begin; lock table product in access exclusive mode; commit');
    await expect(reading).resolves.toEqual([{ name: 'Lantern', standby: false }]);
  });

  async function untilRunningOnReplica(): Promise<void> {
    for (let i = 0; i < 200; i += 1) {
      const rows = await pair.replicaSql(
        `select 1 from pg_stat_activity where query like '%pg_sleep(2)%' and state = 'active' and pid <> pg_backend_pid()`,
      );
      if (rows.length) return;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    throw new Error('the read never started on the replica');
  }
});
