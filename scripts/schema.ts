import 'reflect-metadata';
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { diffSchemas } from '../src/graphql/schema-diff';
import { buildCatalogSchema, printCatalogSchema, SCHEMA_FILE } from '../src/graphql/schema';

/**
 * `npm run schema:emit` writes schema/schema.graphql; `schema:check` fails when it is stale;
 * `schema:diff [-- <git-ref>]` lists what the code's schema breaks for clients built against
 * the SDL at that ref (default: the newest v* tag, else HEAD), failing on breaking changes.
 */
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
  if (command === 'diff') {
    const base = process.argv[3] ?? lastRelease();
    const before = execFileSync('git', ['show', `${base}:${SCHEMA_FILE}`], { encoding: 'utf8' });
    const { breaking, dangerous } = diffSchemas(before, sdl);
    process.stdout.write(`schema changes since ${base}:\n`);
    for (const line of breaking) process.stdout.write(`  BREAKING  ${line}\n`);
    for (const line of dangerous) process.stdout.write(`  dangerous ${line}\n`);
    if (!breaking.length && !dangerous.length) process.stdout.write('  none that affect clients\n');
    if (breaking.length) process.exitCode = 1;
    return;
  }
  throw new Error('usage: scripts/schema.ts emit|check|diff [git-ref]');
}

/** The newest release tag (v*), else the last commit: what clients may be built against. */
function lastRelease(): string {
  try {
    return execFileSync('git', ['describe', '--tags', '--abbrev=0', '--match', 'v*'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
  } catch {
    return 'HEAD';
  }
}

main(process.argv[2]).catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
