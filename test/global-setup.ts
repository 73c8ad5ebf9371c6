import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import pino from 'pino';
import { startEmbeddedPostgres } from '../src/db/embedded-postgres';

/**
 * One PostgreSQL for the whole run: DATABASE_URL when given (its user needs CREATEDB), else an
 * embedded one in a temporary folder. The real migrations run once into a template database;
 * every test file then gets its own copy (test/support/database.ts), made in milliseconds.
 */
export default async function globalSetup(): Promise<void> {
  let adminUrl = process.env.DATABASE_URL;
  if (!adminUrl) {
    const dir = mkdtempSync(join(tmpdir(), 'catalog-test-pg-'));
    const database = await startEmbeddedPostgres({
      dir,
      port: await freePort(),
      database: 'postgres',
      logger: pino({ level: 'warn' }),
    });
    (globalThis as { testDatabase?: { stop(): Promise<void>; dir: string } }).testDatabase = {
      ...database,
      dir,
    };
    adminUrl = database.url;
  }
  const template = `catalog_test_template_${process.pid}`;
  await adminQuery(adminUrl, `drop database if exists ${template}`);
  await adminQuery(adminUrl, `create database ${template}`);

  // The real migrations, run the way `npm run migration:up` runs them. A child process keeps
  // the ORM's global metadata out of Jest's realm (an in-band run shares this process).
  execFileSync(process.execPath, ['-r', '@swc-node/register', 'scripts/db.ts', 'migrate'], {
    env: { ...process.env, DATABASE_URL: withDatabase(adminUrl, template), LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  process.env.TEST_ADMIN_DATABASE_URL = adminUrl;
  process.env.TEST_TEMPLATE_DATABASE = template;
}

export function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

export async function adminQuery(url: string, sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}
