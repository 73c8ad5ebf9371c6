import { describe } from '@jest/globals';
import { missingDebianPackages, type DebianBinary } from '../../scripts/topology/debian';

/**
 * `describe` for tests that run real servers from Debian's packages (PgBouncer, Redis, nginx,
 * PostgreSQL 15 for streaming replication). `.ci/run` installs them; where they are missing
 * (a laptop's fresh clone), the block is skipped, loudly, naming the apt-get command, so
 * `npm test` still passes there and nobody mistakes the skip for a pass.
 */
export function describeWithDebian(
  binaries: readonly DebianBinary[],
  title: string,
  body: () => void,
): void {
  const missing = missingDebianPackages(binaries);
  if (missing.length) {
    process.stderr.write(
      `\n!!! SKIPPING "${title}": Debian's ${missing.join(', ')} not installed.\n` +
        `!!! apt-get update && apt-get install -y ${missing.join(' ')} (as .ci/run does)\n\n`,
    );
  }
  (missing.length ? describe.skip : describe)(title, body);
}
