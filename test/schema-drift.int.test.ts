import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { readFileSync, readdirSync } from 'node:fs';
import { buildCatalogSchema, printCatalogSchema, SCHEMA_FILE } from '../src/graphql/schema';
import { migrationsList } from '../migrations';
import { startTestServer, type TestServer } from './support/server';

describe('schema/schema.graphql', () => {
  it('is exactly what the code builds (run `npm run schema:emit` after changing the API)', async () => {
    const built = printCatalogSchema(await buildCatalogSchema());
    expect(readFileSync(SCHEMA_FILE, 'utf8')).toBe(built);
  });

  it('describes every type, field and argument', async () => {
    const sdl = readFileSync(SCHEMA_FILE, 'utf8');
    // Each declaration line of a field, argument, type or enum value follows its """ description.
    const lines = sdl.split('\n');
    const undocumented = lines.filter((line, i) => {
      const declares = /^\s*(type|input|enum|scalar)\s|^\s+\w+(\(|:)|^\s+[A-Z_]+$/.test(line);
      return (
        declares && !/^type (Query|Mutation)\b/.test(line) && !/"""\s*$/.test(lines[i - 1] ?? '')
      );
    });
    expect(undocumented).toEqual([]);
  });
});

describe('migrations/', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(() => server.close());

  it('lists every migration file in migrations/index.ts', () => {
    const files = readdirSync('migrations')
      .filter((f) => /^Migration\d+.*\.ts$/.test(f))
      .map((f) => f.replace(/\.ts$/, ''));
    expect(migrationsList.map((m) => m.name).sort()).toEqual(files.sort());
  });

  it('build the schema the entities describe (create a migration after changing an entity)', async () => {
    const diff = await server.orm.getSchemaGenerator().getUpdateSchemaSQL({ wrap: false });
    expect(diff.trim()).toBe('');
  });

  it('install the review rollup trigger', async () => {
    const triggers = await server.sql<{ tgname: string }>(
      "select tgname from pg_trigger where tgrelid = 'review'::regclass and not tgisinternal",
    );
    expect(triggers.map((t) => t.tgname)).toEqual(['review_rollup']);
  });
});
