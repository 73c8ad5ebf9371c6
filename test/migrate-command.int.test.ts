import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import pg from 'pg';
import { createTestDatabase, type TestDatabase } from './support/database';

/** `npm run migration:up` (scripts/db.ts) takes the server's start-up steps, settings included. */
describe('npm run migration:up', () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase();
  });
  afterAll(() => database?.drop());

  it('with DB_STATEMENT_TIMEOUT_ON=role, sets the timeout on the role, as the server does', async () => {
    await promisify(execFile)(
      process.execPath,
      ['-r', '@swc-node/register', 'scripts/db.ts', 'migrate'],
      {
        env: {
          ...process.env,
          DATABASE_URL: database.url,
          DB_STATEMENT_TIMEOUT_ON: 'role',
          DB_STATEMENT_TIMEOUT_MS: '4321',
          LOG_LEVEL: 'warn',
        },
      },
    );
    const client = new pg.Client({ connectionString: database.url });
    await client.connect();
    try {
      // A new session of the role in this database starts with it.
      const { rows } = await client.query<{ statement_timeout: string }>('show statement_timeout');
      expect(rows[0]!.statement_timeout).toBe('4321ms');
    } finally {
      await client.end();
    }
  });
});
