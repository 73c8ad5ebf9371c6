import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Agent, request as httpRequest } from 'node:http';
import pg from 'pg';
import { MIGRATION_LOCK } from '../../src/db/database';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { describeWithDebian } from '../support/debian';
import {
  connectionRefused,
  holdMainSocket,
  postOnAgent,
  startInstance,
  stopAll,
  waitUntilAnswersReady,
} from './fleet';

/**
 * Socket activation, one instance at a time: what makes a rolling restart with SIGTERM alone
 * lose nothing (docs/operations.md#socket-activation). The fleet test is
 * rolling-restart.topology.int.test.ts.
 */

/** A GET that waits as long as it takes (no client timeout): resolves with its status. */
function getStatus(url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    httpRequest(url, { agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    })
      .on('error', reject)
      .end();
  });
}

const settledWithin = <T>(promise: Promise<T>, ms: number) =>
  Promise.race([
    promise.then(() => true),
    new Promise<boolean>((resolve) => setTimeout(() => resolve(false), ms)),
  ]);

let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => {
  await stopAll();
  await database?.drop();
});

describeWithDebian(['python3'], 'a server on a held socket', () => {
  it('accepts only once ready: a request sent while it migrates waits, then gets 200, not 503', async () => {
    // The migrations' advisory lock, held here, keeps the server from becoming ready.
    const locker = new pg.Client({ connectionString: database.url });
    await locker.connect();
    try {
      await locker.query('select pg_advisory_lock($1)', [MIGRATION_LOCK]);
      const { holder, url } = await holdMainSocket(database.url);
      const started = await holder.start();
      const early = getStatus(`${url}/health/ready`);
      // Answered now would be 503 (not ready): nothing answers while the lock is held.
      expect(await settledWithin(early, 3_000)).toBe(false);
      expect(await settledWithin(started.exited, 0)).toBe(false);
      await locker.query('select pg_advisory_unlock($1)', [MIGRATION_LOCK]);
      expect(await early).toBe(200);
    } finally {
      await locker.end();
    }
  }, 60_000);

  it('keeps the connections that arrive between two processes for the next one', async () => {
    const { holder, url } = await holdMainSocket(database.url);
    const first = await holder.start();
    await waitUntilAnswersReady(url, first, holder);
    process.kill(first.pid, 'SIGTERM');
    expect(await first.exited).toBe(0);
    // No process serves the socket now: the request is queued by the kernel, not refused.
    const between = getStatus(`${url}/health/ready`);
    expect(await settledWithin(between, 500)).toBe(false);
    await holder.start();
    expect(await between).toBe(200);
  }, 60_000);
});

describe('a server given socket variables meant for another process', () => {
  it('ignores them, as sd_listen_fds does, binds PORT, and says so', async () => {
    const instance = await startInstance(database.url, { LISTEN_FDS: '1', LISTEN_PID: '1' });
    expect(instance.started.output()).toMatch(/LISTEN_FDS is not for this process/);
    expect(await instance.stop()).toBe(0);
  }, 60_000);
});

describe("a draining server and a proxy's idle kept connection", () => {
  const BODY = JSON.stringify({ query: '{ categories { id } }' });
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  afterAll(() => agent.destroy());

  const post = (url: string) => postOnAgent(agent, url, BODY);
  const refused = connectionRefused;

  it('leaves it open after the listener closed, and answers a request sent on it then', async () => {
    const instance = await startInstance(database.url);
    const first = await post(instance.url);
    expect(first).toMatchObject({ status: 200, connection: 'keep-alive' });
    instance.started.child.kill('SIGTERM');
    while (!(await refused(instance.port))) await new Promise((r) => setTimeout(r, 10));
    // Past the second the drain used to give before Fastify's close (503, or the connection
    // destroyed); a proxy may send on an idle connection at any time until it closes it.
    await new Promise((r) => setTimeout(r, 1_500));
    const late = await post(instance.url);
    expect(late).toMatchObject({ status: 200, connection: 'close', socket: first.socket });
    expect(await instance.stop()).toBe(0);
  }, 60_000);
});
