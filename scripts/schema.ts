import 'reflect-metadata';
import { readFileSync, writeFileSync } from 'node:fs';
import { buildCatalogSchema, printCatalogSchema, SCHEMA_FILE } from '../src/graphql/schema';

/** `npm run schema:emit` writes schema/schema.graphql; `schema:check` fails when it is stale. */
async function main(command: string | undefined): Promise<void> {
  const sdl = printCatalogSchema(await buildCatalogSchema());
  if (command === 'emit') {
    writeFileSync(SCHEMA_FILE, sdl);
    process.stdout.write(`wrote ${SCHEMA_FILE}\n`);
    return;
  }
  if (command === 'check') {
    if (readFileSync(SCHEMA_FILE, 'utf8') !== sdl) {
      throw new Error(`${SCHEMA_FILE} is stale: run \`npm run schema:emit\` and commit it`);
    }
    process.stdout.write(`${SCHEMA_FILE} is up to date\n`);
    return;
  }
  throw new Error('usage: scripts/schema.ts emit|check');
}

main(process.argv[2]).catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
