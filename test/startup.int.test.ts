import { afterAll, describe, expect, it } from '@jest/globals';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { freePort } from './global-setup';
import { startMain, waitUntilReady, type Started } from './support/process';

/**
 * The path `npm start` takes (src/main.ts), as a real process: no DATABASE_URL, so it must
 * start its own PostgreSQL in a fresh data folder, migrate, seed, serve, and stop cleanly.
 */

async function gql<T>(url: string, query: string): Promise<T> {
  const response = await fetch(`${url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query }),
  });
  const body = (await response.json()) as { data: T; errors?: unknown };
  expect(body.errors).toBeUndefined();
  return body.data;
}

const dataDir = mkdtempSync(join(tmpdir(), 'catalog-startup-'));
// mkdtemp makes it private to its owner; PostgreSQL's own user must be able to enter it.
chmodSync(dataDir, 0o755);
const running: Started[] = [];
afterAll(() => {
  for (const { child } of running) if (child.exitCode === null) child.kill('SIGKILL');
  rmSync(dataDir, { recursive: true, force: true });
});

describe('npm start with no DATABASE_URL', () => {
  it('starts PostgreSQL in a fresh folder, migrates, seeds, serves, and keeps the data across restarts', async () => {
    const pgPort = await freePort();
    const httpPort = await freePort();
    const url = `http://127.0.0.1:${httpPort}`;
    const env = {
      EMBEDDED_PG_DIR: join(dataDir, 'postgres'),
      EMBEDDED_PG_PORT: String(pgPort),
      PORT: String(httpPort),
      HOST: '127.0.0.1',
    };

    const first = startMain(env);
    running.push(first);
    await waitUntilReady(url, first);
    expect(first.output()).toContain('demo catalog seeded');

    const catalog = await gql<{
      categories: { productCount: number }[];
      products: { totalCount: number };
    }>(url, '{ categories { productCount } products(first: 1) { totalCount } }');
    expect(catalog.categories).toHaveLength(12);
    expect(catalog.products.totalCount).toBe(300);
    expect(catalog.categories.reduce((sum, c) => sum + c.productCount, 0)).toBe(300);

    // A write made behind the server's back must survive the restart.
    const client = new pg.Client({
      connectionString: `postgresql://postgres:postgres@127.0.0.1:${pgPort}/catalog`,
    });
    await client.connect();
    const [{ reviews }] = (
      await client.query<{ reviews: number }>('select count(*)::int as reviews from review')
    ).rows as [{ reviews: number }];
    expect(reviews).toBeGreaterThan(2000);
    await client.query("update product set name = 'Persisted' where sku = 'AUD-0001'");
    await client.end();

    first.child.kill('SIGTERM');
    expect(await first.exited).toBe(0);
    expect(first.output()).toContain('shutting down');

    // Restarted with its metrics on a port of their own.
    const metricsUrl = `http://127.0.0.1:${await freePort()}/metrics`;
    const second = startMain({ ...env, METRICS_PORT: new URL(metricsUrl).port });
    running.push(second);
    await waitUntilReady(url, second);
    expect(second.output()).not.toContain('demo catalog seeded');
    expect((await fetch(metricsUrl)).status).toBe(200);
    expect((await fetch(`${url}/metrics`)).status).toBe(404);
    const after = await gql<{
      products: { totalCount: number; edges: { node: { name: string } }[] };
    }>(
      url,
      '{ products(first: 1, filter: { text: "Persisted" }) { totalCount edges { node { name } } } }',
    );
    expect(after.products.totalCount).toBe(1);

    second.child.kill('SIGINT');
    expect(await second.exited).toBe(0);
    await expect(fetch(metricsUrl)).rejects.toThrow(); // closed with the rest
    // The embedded PostgreSQL went down with the server: its port is free again.
    const probe = new pg.Client({
      connectionString: `postgresql://postgres:postgres@127.0.0.1:${pgPort}/catalog`,
    });
    await expect(probe.connect()).rejects.toThrow();
  }, 180_000);

  // Only root hands the database to another user; anyone else owns their private folders.
  const asRoot = process.getuid?.() === 0 ? it : it.skip;
  asRoot(
    'says which folder PostgreSQL cannot reach instead of a bare permission error',
    async () => {
      const privateDir = mkdtempSync(join(dataDir, 'private-'));
      chmodSync(privateDir, 0o700);
      const started = startMain({
        EMBEDDED_PG_DIR: join(privateDir, 'postgres'),
        EMBEDDED_PG_PORT: String(await freePort()),
        PORT: String(await freePort()),
      });
      running.push(started);
      expect(await started.exited).toBe(1);
      expect(started.output()).toContain(`cannot enter ${privateDir}`);
    },
    30_000,
  );

  it('refuses to start in production with the public development secret', async () => {
    const started = startMain({
      NODE_ENV: 'production',
      JWT_SECRET: 'catalog-graphql-development-secret-not-for-production',
    });
    running.push(started);
    expect(await started.exited).toBe(1);
    expect(started.output()).toMatch(/JWT_SECRET: the development secret is public/);
  }, 30_000);

  it('refuses to start on a bad setting, naming the variable', async () => {
    const started = startMain({ PORT: 'eighty', DB_POOL_MAX: '0' });
    running.push(started);
    expect(await started.exited).toBe(1);
    expect(started.output()).toMatch(/PORT: .*number/);
    expect(started.output()).toMatch(/DB_POOL_MAX: /);
  }, 30_000);
});
