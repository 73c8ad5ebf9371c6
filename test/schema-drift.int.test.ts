import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { isEnumType, isInputObjectType, isObjectType, isSpecifiedScalarType } from 'graphql';
import { readFileSync, readdirSync } from 'node:fs';
import { buildCatalogSchema, printCatalogSchema, SCHEMA_FILE } from '../src/graphql/schema';
import { migrationsList } from '../migrations';
import { CatalogMigration } from '../migrations/catalog-migration';
import { startTestServer, type TestServer } from './support/server';

describe('schema/schema.graphql', () => {
  it('is exactly what the code builds (run `npm run schema:emit` after changing the API)', async () => {
    const built = printCatalogSchema(await buildCatalogSchema());
    expect(readFileSync(SCHEMA_FILE, 'utf8')).toBe(built);
  });

  it('describes every type, field, argument and enum value', async () => {
    const schema = await buildCatalogSchema();
    const undocumented: string[] = [];
    const check = (path: string, description: string | null | undefined) => {
      if (!description?.trim()) undocumented.push(path);
    };
    for (const type of Object.values(schema.getTypeMap())) {
      if (type.name.startsWith('__') || isSpecifiedScalarType(type)) continue;
      if (!['Query', 'Mutation'].includes(type.name)) check(type.name, type.description);
      if (isObjectType(type)) {
        for (const field of Object.values(type.getFields())) {
          check(`${type.name}.${field.name}`, field.description);
          for (const arg of field.args) {
            check(`${type.name}.${field.name}(${arg.name})`, arg.description);
          }
        }
      }
      if (isInputObjectType(type)) {
        for (const field of Object.values(type.getFields())) {
          check(`${type.name}.${field.name}`, field.description);
        }
      }
      if (isEnumType(type)) {
        for (const value of type.getValues())
          check(`${type.name}.${value.name}`, value.description);
      }
    }
    expect(undocumented).toEqual([]);
  });
});

describe('migrations/', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(() => server.close());

  it('are all CatalogMigrations (no statement timeout while they run)', () => {
    for (const { name, class: migration } of migrationsList) {
      expect([name, migration.prototype instanceof CatalogMigration]).toEqual([name, true]);
    }
  });

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
