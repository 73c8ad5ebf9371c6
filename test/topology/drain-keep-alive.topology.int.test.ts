import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { Agent } from 'node:http';
import { connect } from 'node:net';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { connectionRefused, postOnAgent, startInstance, stopAll, type Instance } from './fleet';

/**
 * Behind a load balancer that keeps connections to the instances (nginx's `keepalive`), a
 * request sent on a kept connection just as the instance stops is lost: nginx cannot resend a
 * POST it has sent. So once draining starts, every answer closes its connection, and when the
 * instance stops listening, a connection it had already accepted still gets its answer.
 */
let database: TestDatabase;
const agent = new Agent({ keepAlive: true, maxSockets: 1 });

beforeAll(async () => {
  database = await createTestDatabase();
}, 120_000);
afterAll(async () => {
  agent.destroy();
  await stopAll();
  await database?.drop();
});

const BODY = JSON.stringify({ query: '{ categories { id } }' });

/** A POST on the one kept connection: its status, `connection` header and local port. */
const post = (instance: Instance) => postOnAgent(agent, instance.url, BODY);

async function untilDraining(instance: Instance): Promise<void> {
  const deadline = Date.now() + 5_000;
  while ((await fetch(`${instance.url}/health/ready`)).status !== 503) {
    if (Date.now() > deadline) throw new Error('readiness never turned 503');
  }
}

const refused = connectionRefused;

it('keeps connections alive while serving, and closes each after its answer once draining', async () => {
  const instance = await startInstance(database.url, { SHUTDOWN_DELAY_MS: '3000' });
  const first = await post(instance);
  const second = await post(instance);
  expect(first).toMatchObject({ status: 200, connection: 'keep-alive' });
  expect(second.socket).toBe(first.socket); // the same connection, kept

  instance.started.child.kill('SIGTERM');
  await untilDraining(instance);
  // Still served during SHUTDOWN_DELAY_MS (readiness says 503), but not kept alive.
  const draining = await post(instance);
  expect(draining).toMatchObject({ status: 200, connection: 'close' });
  const next = await post(instance);
  expect(next).toMatchObject({ status: 200, connection: 'close' });
  expect(next.socket).not.toBe(draining.socket); // a new connection: the old one was closed
  expect(await instance.started.exited).toBe(0);
});

it('answers a connection it accepted before it stopped listening, whose request comes after', async () => {
  const instance = await startInstance(database.url, { SHUTDOWN_DELAY_MS: '1000' });
  instance.started.child.kill('SIGTERM');
  await untilDraining(instance);
  // Accepted while draining; its request is sent only once the instance no longer listens.
  const socket = connect({ host: '127.0.0.1', port: instance.port });
  await new Promise((resolve) => socket.once('connect', resolve));
  let reply = '';
  socket.on('data', (chunk: Buffer) => (reply += chunk.toString()));
  const closed = new Promise((resolve) => socket.once('close', resolve));
  socket.on('error', () => undefined);
  while (!(await refused(instance.port))) await new Promise((r) => setTimeout(r, 10));
  socket.write(
    `POST /graphql HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n` +
      `Content-Length: ${Buffer.byteLength(BODY)}\r\n\r\n${BODY}`,
  );
  await closed;
  expect(reply).toMatch(/^HTTP\/1\.1 200 /);
  expect(reply.toLowerCase()).toContain('connection: close');
  expect(await instance.started.exited).toBe(0);
});
