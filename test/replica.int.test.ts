import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startStreamingPair, type StreamingPair } from './support/replica';

/** The test infrastructure itself: a streaming replica made from the embedded PostgreSQL. */
describe('a streaming replica of the embedded PostgreSQL', () => {
  let pair: StreamingPair;

  beforeAll(async () => {
    pair = await startStreamingPair();
    // Recorded: what every replica test file pays once (docs/operations.md#replicas-and-read-your-writes).
    // eslint-disable-next-line no-console -- a figure for the record, in the test's output
    console.info(`primary + replica started in ${pair.startupMs} ms`);
  });
  afterAll(async () => {
    await pair?.stop();
  });

  it('is a standby holding the migrated schema', async () => {
    const [row] = await pair.replicaSql<{ standby: boolean; tables: number }>(
      `select pg_is_in_recovery() as standby,
              (select count(*)::int from pg_tables where tablename = 'product') as tables`,
    );
    expect(row).toEqual({ standby: true, tables: 1 });
  });

  it('shows a primary write only once replay runs again', async () => {
    await pair.pauseReplay();
    await pair.primarySql(`insert into category (name, slug) values ('Lagging', 'lagging')`);
    const seen = () =>
      pair.replicaSql(`select 1 from category where slug = 'lagging'`).then((r) => r.length);
    expect(await seen()).toBe(0);
    await pair.resumeReplay();
    expect(await seen()).toBe(1);
  });

  it('survives being stopped and started again', async () => {
    await pair.stopReplica();
    await pair.primarySql(`insert into category (name, slug) values ('While down', 'while-down')`);
    await pair.startReplica();
    await pair.caughtUp();
    const rows = await pair.replicaSql(`select 1 from category where slug = 'while-down'`);
    expect(rows).toHaveLength(1);
  });
});
