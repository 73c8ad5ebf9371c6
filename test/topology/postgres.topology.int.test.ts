import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import {
  startPostgresPrimary,
  startPostgresReplica,
  type PostgresServer,
} from '../../scripts/topology/postgres';
import { freePort } from '../global-setup';
import { describeWithDebian } from '../support/debian';

/**
 * The launchers of Debian's PostgreSQL 15 (scripts/topology/postgres.ts): a primary, a
 * streaming replica of it, and one made to lag (recovery_min_apply_delay), as the replica
 * tests need; each stopped with nothing left.
 */

async function query<Row extends pg.QueryResultRow>(url: string, text: string): Promise<Row[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<Row>(text)).rows;
  } finally {
    await client.end();
  }
}

/** Whether `table` exists on the server at `url` (a replica has it once it replayed it). */
const hasTable = async (url: string, table: string) =>
  (await query<{ there: boolean }>(url, `select to_regclass('${table}') is not null as there`))[0]!
    .there;

async function poll(check: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

const portAnswers = (url: string) =>
  query(url, 'select 1').then(
    () => true,
    () => false,
  );

describeWithDebian(
  ['initdb', 'postgres', 'pg_basebackup'],
  'Debian PostgreSQL 15 launchers',
  () => {
    let dir: string;
    let primary: PostgresServer;
    let replica: PostgresServer;
    let lagging: PostgresServer;
    const password = 'launcher-test';

    beforeAll(async () => {
      dir = mkdtempSync(join(tmpdir(), 'catalog-pg15-'));
      chmodSync(dir, 0o755); // PostgreSQL runs as the postgres user, which must enter it
      primary = await startPostgresPrimary({
        dir: join(dir, 'primary'),
        port: await freePort(),
        password,
      });
      [replica, lagging] = await Promise.all([
        startPostgresReplica({
          dir: join(dir, 'replica'),
          port: await freePort(),
          password,
          primaryUrl: primary.url,
        }),
        startPostgresReplica({
          dir: join(dir, 'lagging'),
          port: await freePort(),
          password,
          primaryUrl: primary.url,
          settings: { recovery_min_apply_delay: '1500ms' },
        }),
      ]);
    }, 120_000);
    afterAll(async () => {
      await Promise.all([replica?.stop(), lagging?.stop()]);
      await primary?.stop();
      rmSync(dir, { recursive: true, force: true });
    });

    it('starts PostgreSQL 15, with a password checked over TCP', async () => {
      const [row] = await query<{ version: string }>(
        primary.url,
        "select current_setting('server_version') as version",
      );
      expect(row?.version).toMatch(/^15\./);
      const wrong = new URL(primary.url);
      wrong.password = 'wrong';
      await expect(query(wrong.toString(), 'select 1')).rejects.toThrow(
        /password authentication failed/,
      );
    });

    it('streams writes to the replica, which refuses writes of its own', async () => {
      await query(primary.url, 'create table streamed (n int); insert into streamed values (1)');
      await poll(() => hasTable(replica.url, 'streamed'));
      expect(await query(replica.url, 'select n from streamed')).toEqual([{ n: 1 }]);
      await expect(query(replica.url, 'insert into streamed values (2)')).rejects.toThrow(
        /read-only transaction/,
      );
    });

    it('lags by recovery_min_apply_delay when asked to', async () => {
      await query(primary.url, 'create table delayed (n int)');
      const written = Date.now();
      await poll(() => hasTable(lagging.url, 'delayed'));
      expect(Date.now() - written).toBeGreaterThanOrEqual(1400);
    });

    it('stops: the server is gone and its port closed', async () => {
      const extra = await startPostgresReplica({
        dir: join(dir, 'extra'),
        port: await freePort(),
        password,
        primaryUrl: primary.url,
      });
      expect(await portAnswers(extra.url)).toBe(true);
      await extra.stop();
      expect(await extra.exited).toBe('code 0'); // a clean fast shutdown, not SIGKILL
      expect(await portAnswers(extra.url)).toBe(false);
    });
  },
);
