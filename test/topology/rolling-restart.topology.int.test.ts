import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { startNginx, type RunningNginx } from '../../scripts/topology/nginx';
import { freePort } from '../global-setup';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { describeWithDebian } from '../support/debian';
import { unique } from '../support/factories';
import { adminToken, startHeldInstance, startInstance, stopAll, type Instance } from './fleet';

/**
 * Two instances behind Debian's nginx under steady load (queries and mutations), each restarted
 * in turn; no client sees a failure, and every mutation is applied exactly once. Two ways
 * (docs/operations.md#rolling-restart): on plain ports, each taken out of nginx (a graceful
 * reload) before its SIGTERM; on held sockets (socket activation), SIGTERM alone.
 */
/**
 * A POST on a connection of its own. A client's kept connection to nginx is closed by nginx's
 * graceful reload when idle, and a client that was just sending on it sees "other side closed"
 * (browsers resend such a request; undici does not for a POST): a client-to-nginx matter, which
 * this test leaves out to measure the instances' side.
 */
function postOnce(url: string, body: string, headers: Record<string, string>) {
  return new Promise<{ status: number; text: string }>((resolve, reject) => {
    const req = httpRequest(url, { method: 'POST', agent: false, headers }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

// Readiness is 503 this long for a balancer that probes it; nginx was told before the SIGTERM.
const DRAIN_ENV = { SHUTDOWN_DELAY_MS: '1000' };
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Six clients through nginx, each in turn a query, a stock increment of one counter product,
 * a create; `finish` stops them and checks the account: no failure, the stock is the number of
 * increments answered (each answered version once), every create answered is one row.
 */
async function steadyLoad(nginxUrl: string, sql: pg.Client, nginxDir: string) {
  const token = await adminToken();
  const { rows } = await sql.query<{ id: number }>(
    "insert into product (sku, name, price, stock) values ($1, 'Counter', 1, 0) returning id",
    [unique('ROLL').toUpperCase()],
  );
  const counter = String(rows[0]!.id);
  const skuPrefix = unique('ROLLNEW').toUpperCase();

  const failures: string[] = [];
  const counts = { queries: 0, increments: 0, creates: 0 };
  const versions: number[] = [];
  let running = true;
  const send = async (query: string, variables: object, auth: boolean) => {
    const { status, text } = await postOnce(
      `${nginxUrl}/graphql`,
      JSON.stringify({ query, variables }),
      {
        'content-type': 'application/json',
        ...(auth && { authorization: `Bearer ${token}` }),
      },
    );
    const body = (() => {
      try {
        return JSON.parse(text) as { data?: Record<string, unknown>; errors?: unknown[] };
      } catch {
        return undefined;
      }
    })();
    if (status !== 200 || !body || body.errors || !body.data) {
      failures.push(`${status} ${text.slice(0, 200)}`);
      return undefined;
    }
    return body.data;
  };
  const worker = async (n: number) => {
    for (let i = 0; running; i++) {
      const kind = (n + i) % 3;
      try {
        if (kind === 0) {
          if (await send('{ products(first: 5) { totalCount edges { node { id } } } }', {}, false))
            counts.queries += 1;
        } else if (kind === 1) {
          const data = await send(
            'mutation ($id: ID!) { adjustStock(id: $id, delta: 1) { version } }',
            { id: counter },
            true,
          );
          if (data) {
            counts.increments += 1;
            versions.push((data.adjustStock as { version: number }).version);
          }
        } else {
          const data = await send(
            'mutation ($input: CreateProductInput!) { createProduct(input: $input) { id } }',
            { input: { sku: `${skuPrefix}-${n}-${i}`, name: 'Rolled', price: '1.00' } },
            true,
          );
          if (data) counts.creates += 1;
        }
      } catch (error) {
        failures.push(`fetch failed: ${String((error as Error).cause ?? error)}`);
      }
    }
  };
  const load = Promise.all(Array.from({ length: 6 }, (_, n) => worker(n)));

  return {
    served: () => counts.queries + counts.increments + counts.creates,
    finish: async () => {
      running = false;
      await load;
      // On failure, nginx's own account of it comes with the list.
      if (failures.length) failures.push(readFileSync(join(nginxDir, 'error.log'), 'utf8'));
      expect(failures).toEqual([]);
      expect(counts.increments).toBeGreaterThan(20);
      expect(counts.creates).toBeGreaterThan(20);
      // Exactly once: the stock is the number of increments answered, each answered version once.
      const after = await sql.query<{ stock: number; version: number }>(
        'select stock, version from product where id = $1',
        [counter],
      );
      expect(after.rows[0]).toEqual({ stock: counts.increments, version: 1 + counts.increments });
      expect(new Set(versions).size).toBe(versions.length);
      const created = await sql.query<{ n: number }>(
        'select count(*)::int as n from product where sku like $1',
        [`${skuPrefix}-%`],
      );
      expect(created.rows[0]!.n).toBe(counts.creates);
    },
  };
}

describeWithDebian(['nginx', 'python3'], 'a rolling restart behind nginx', () => {
  let database: TestDatabase;
  let sql: pg.Client;
  const nginxes: RunningNginx[] = [];
  const dirs: string[] = [];

  const nginxFor = async (upstreams: string[]) => {
    const dir = mkdtempSync(join(tmpdir(), 'catalog-rolling-nginx-'));
    dirs.push(dir);
    const nginx = await startNginx({ dir, port: await freePort(), upstreams });
    nginxes.push(nginx);
    return { nginx, dir };
  };

  beforeAll(async () => {
    database = await createTestDatabase();
    sql = new pg.Client({ connectionString: database.url });
    sql.on('error', () => undefined);
    await sql.connect();
  }, 60_000);
  afterAll(async () => {
    await Promise.all(nginxes.map((nginx) => nginx.stop()));
    await stopAll();
    await sql?.end();
    await database?.drop();
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  it('on plain ports, taking each instance out of nginx first: loses no request, applies every mutation once', async () => {
    const instances: Instance[] = await Promise.all([
      startInstance(database.url, DRAIN_ENV),
      startInstance(database.url, DRAIN_ENV),
    ]);
    const { nginx, dir } = await nginxFor(instances.map((i) => `127.0.0.1:${i.port}`));
    const load = await steadyLoad(nginx.url, sql, dir);

    await sleep(1_000);
    for (const index of [0, 1]) {
      const old = instances[index]!;
      const servedBefore = load.served();
      // Out of nginx first (open-source nginx does not probe readiness), then SIGTERM.
      await nginx.setUpstreams(
        instances.filter((i) => i !== old).map((i) => `127.0.0.1:${i.port}`),
      );
      expect(await old.stop()).toBe(0); // SIGTERM: drained and exited cleanly
      instances[index] = await startInstance(database.url, DRAIN_ENV, old.port);
      await nginx.setUpstreams(instances.map((i) => `127.0.0.1:${i.port}`));
      await sleep(1_000);
      // Load went on throughout.
      expect(load.served()).toBeGreaterThan(servedBefore);
    }
    await load.finish();

    // Both instances served, and nginx did send some requests on to the other one.
    const log = readFileSync(join(dir, 'access.log'), 'utf8');
    for (const instance of instances) expect(log).toContain(`upstream=127.0.0.1:${instance.port}`);
  }, 180_000);

  it('on held sockets, with SIGTERM alone and nginx never reloaded: loses no request, applies every mutation once', async () => {
    // No SHUTDOWN_DELAY_MS: nothing probes readiness, and the held socket keeps what arrives.
    const instances = await Promise.all([
      startHeldInstance(database.url),
      startHeldInstance(database.url),
    ]);
    const { nginx, dir } = await nginxFor(instances.map((i) => `127.0.0.1:${i.port}`));
    const load = await steadyLoad(nginx.url, sql, dir);

    await sleep(1_000);
    for (const instance of instances) {
      const servedBefore = load.served();
      expect(await instance.stop()).toBe(0); // SIGTERM: drained and exited cleanly
      await instance.start(); // on the same socket; resolves once it answers ready
      await sleep(1_000);
      expect(load.served()).toBeGreaterThan(servedBefore);
    }
    await load.finish();

    // Requests arrived while each instance was down, waited in its socket's queue, and were
    // answered by its next process: no upstream was ever marked failed, none retried.
    const log = readFileSync(join(dir, 'access.log'), 'utf8');
    for (const instance of instances) expect(log).toContain(`upstream=127.0.0.1:${instance.port}`);
    expect(log).not.toMatch(/upstream=[^ ]+, /);
  }, 180_000);
});
