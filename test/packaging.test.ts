import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';

/** No Docker engine runs in CI: the files are checked for what they promise instead. */

interface Service {
  image?: string;
  build?: string;
  environment?: Record<string, string>;
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test: string[] };
}

const compose = parse(readFileSync('docker-compose.yml', 'utf8')) as {
  services: Record<string, Service>;
};
const dockerfile = readFileSync('Dockerfile', 'utf8');

describe('docker-compose.yml', () => {
  it('runs PostgreSQL, PgBouncer and the API, each with a health check', () => {
    expect(Object.keys(compose.services).sort()).toEqual(['api', 'pgbouncer', 'postgres']);
    for (const service of Object.values(compose.services)) {
      expect(service.healthcheck?.test.length).toBeGreaterThan(0);
    }
  });

  it('sends the API through PgBouncer in transaction mode, migrations straight to PostgreSQL', () => {
    const { api, pgbouncer } = compose.services;
    expect(pgbouncer?.environment?.POOL_MODE).toBe('transaction');
    expect(new URL(api!.environment!.DATABASE_URL!).hostname).toBe('pgbouncer');
    expect(new URL(api!.environment!.DATABASE_MIGRATION_URL!).hostname).toBe('postgres');
    expect(api?.environment?.DB_STATEMENT_TIMEOUT_MS).toBe('0');
    expect(api?.depends_on).toEqual({
      pgbouncer: { condition: 'service_healthy' },
      postgres: { condition: 'service_healthy' },
    });
  });

  it('runs the API in production mode with a secret the user must provide', () => {
    expect(compose.services.api?.environment?.NODE_ENV).toBe('production');
    expect(compose.services.api?.environment?.JWT_SECRET).toMatch(/^\$\{JWT_SECRET:\?/);
  });
});

describe('Dockerfile', () => {
  it('builds in one stage and runs from another, as a non-root user, with a health check', () => {
    expect(dockerfile).toMatch(/^FROM \S+ AS build$/m);
    expect(dockerfile).toMatch(/^FROM \S+ AS runtime$/m);
    expect(dockerfile).toMatch(/^RUN npm ci --omit=dev/m);
    expect(dockerfile).toMatch(/^USER node$/m);
    expect(dockerfile).toMatch(/^HEALTHCHECK /m);
    expect(dockerfile).toMatch(/^CMD \["node", .*"dist\/src\/main\.js"\]$/m);
  });

  it('starts the server as `npm start` does, with the same node flags', () => {
    const cmd = /^CMD (\[.*\])$/m.exec(dockerfile)![1]!;
    const start = (
      JSON.parse(readFileSync('package.json', 'utf8')) as { scripts: { start: string } }
    ).scripts.start;
    expect((JSON.parse(cmd) as string[]).join(' ')).toBe(start);
  });
});
