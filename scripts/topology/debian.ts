import { accessSync, constants, readdirSync } from 'node:fs';
import { delimiter, join } from 'node:path';

/**
 * The servers of a multi-machine topology (a PostgreSQL 15 primary and its streaming replica,
 * PgBouncer, Redis, nginx) come from Debian's packages: nothing here downloads a binary. This
 * finds them where Debian puts them, some of which (/usr/sbin, PostgreSQL's versioned bin
 * folder) are not on a user's PATH.
 */

/** The Debian package that brings each binary this project starts. */
export const DEBIAN_PACKAGES = {
  pgbouncer: 'pgbouncer',
  'redis-server': 'redis-server',
  nginx: 'nginx-light',
  postgres: 'postgresql-15',
  initdb: 'postgresql-15',
  pg_ctl: 'postgresql-15',
  pg_basebackup: 'postgresql-15',
  // The socket holder of a socket-activated fleet (scripts/topology/socket-holder.py).
  python3: 'python3',
} as const;

export type DebianBinary = keyof typeof DEBIAN_PACKAGES;

/** PostgreSQL's server binaries live in /usr/lib/postgresql/<major>/bin, off the PATH. */
const POSTGRES_BINARIES = new Set<DebianBinary>(['postgres', 'initdb', 'pg_ctl', 'pg_basebackup']);

/** The binary's absolute path, or null when its package is not installed. */
export function debianBinary(name: DebianBinary): string | null {
  const folders = [...(process.env.PATH ?? '').split(delimiter), '/usr/sbin', '/sbin'];
  // Newest major first; PostgreSQL's own client wrappers on the PATH are not the server's tools.
  if (POSTGRES_BINARIES.has(name)) folders.unshift(...postgresBinFolders());
  for (const folder of folders) {
    if (!folder) continue;
    const candidate = join(folder, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return null;
}

function postgresBinFolders(): string[] {
  try {
    return readdirSync('/usr/lib/postgresql')
      .filter((major) => /^\d+$/.test(major))
      .sort((a, b) => Number(b) - Number(a))
      .map((major) => `/usr/lib/postgresql/${major}/bin`);
  } catch {
    return [];
  }
}

/** The packages to install for the binaries that are missing (empty when all are there). */
export function missingDebianPackages(names: readonly DebianBinary[]): string[] {
  return [...new Set(names.filter((n) => !debianBinary(n)).map((n) => DEBIAN_PACKAGES[n]))];
}
