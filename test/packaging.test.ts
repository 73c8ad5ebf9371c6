import { describe, expect, it } from '@jest/globals';
import { existsSync, readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { CONFIG_VARIABLES, loadConfig } from '../src/config';

/** No Docker engine runs in CI: the files are checked for what they promise instead. */

interface Service {
  image?: string;
  build?: string;
  user?: string;
  entrypoint?: string[];
  environment?: Record<string, string>;
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test: string[] };
  ports?: string[];
  volumes?: string[];
}

const compose = parse(readFileSync('docker-compose.yml', 'utf8')) as {
  services: Record<string, Service>;
  volumes: Record<string, unknown>;
};
const dockerfile = readFileSync('Dockerfile', 'utf8');
const { services } = compose;
const apis = ['api1', 'api2'] as const;

describe('docker-compose.yml', () => {
  it('runs the topology of docs/scaling.md, each service from an image or a build, each with a health check', () => {
    expect(Object.keys(services).sort()).toEqual([
      'api1',
      'api2',
      'nginx',
      'pgbouncer',
      'postgres',
      'redis',
      'replica',
    ]);
    for (const [name, service] of Object.entries(services)) {
      expect([name, Boolean(service.image) !== Boolean(service.build)]).toEqual([name, true]);
      expect([name, service.healthcheck?.test.length]).toEqual([name, expect.any(Number)]);
    }
  });

  it('waits for what each service needs: every depends_on names a service, healthy', () => {
    for (const [name, service] of Object.entries(services)) {
      for (const [target, { condition }] of Object.entries(service.depends_on ?? {})) {
        expect([name, target, Object.keys(services).includes(target)]).toEqual([
          name,
          target,
          true,
        ]);
        expect([name, target, condition]).toEqual([name, target, 'service_healthy']);
      }
    }
    expect(Object.keys(services.nginx!.depends_on!).sort()).toEqual([...apis]);
  });

  it('publishes only nginx, on 4000', () => {
    const published = Object.entries(services).filter(([, s]) => s.ports?.length);
    expect(published).toEqual([['nginx', expect.objectContaining({ ports: ['4000:80'] })]]);
  });

  it('mounts files that exist and volumes it declares', () => {
    for (const service of Object.values(services)) {
      for (const volume of service.volumes ?? []) {
        const source = volume.split(':')[0]!;
        if (source.startsWith('./')) expect([source, existsSync(source)]).toEqual([source, true]);
        else expect(Object.keys(compose.volumes)).toContain(source);
      }
    }
  });

  it('gives the API instances only settings src/config.ts knows, and valid ones', () => {
    for (const api of apis) {
      const env = services[api]!.environment!;
      const unknown = Object.keys(env).filter((key) => !CONFIG_VARIABLES.includes(key));
      expect([api, unknown]).toEqual([api, []]);
      // The one value compose interpolates, as a user would provide it.
      expect(env.JWT_SECRET).toMatch(/^\$\{JWT_SECRET:\?/);
      expect(() => loadConfig({ ...env, JWT_SECRET: 'x'.repeat(32) })).not.toThrow();
    }
    expect(services.api1?.environment).toEqual(services.api2?.environment);
  });

  it('sends the API through PgBouncer in transaction mode as docs/scaling.md#pgbouncer says', () => {
    const env = services.api1!.environment!;
    expect(services.pgbouncer?.environment?.POOL_MODE).toBe('transaction');
    expect(new URL(env.DATABASE_URL!).hostname).toBe('pgbouncer');
    expect(new URL(env.DATABASE_MIGRATION_URL!).hostname).toBe('postgres');
    expect(new URL(env.DATABASE_REPLICA_URLS!).hostname).toBe('replica');
    expect(new URL(env.APQ_REDIS_URL!).hostname).toBe('redis');
    expect(env.DB_PREPARED_STATEMENTS).toBe('false');
    expect(env.DB_STATEMENT_TIMEOUT_ON).toBe('role');
    expect(env.NODE_ENV).toBe('production');
  });

  it('makes the replica a streaming copy of the primary (pg_basebackup -R)', () => {
    const script = readFileSync('deploy/postgres/replica-entrypoint.sh', 'utf8');
    expect(script).toMatch(/pg_basebackup -h "\$PRIMARY_HOST".* -U replicator/);
    expect(script).toMatch(/-D "\$PGDATA" -R -X stream/);
    expect(services.replica?.environment?.PRIMARY_HOST).toBe('postgres');
    expect(readFileSync('deploy/postgres/primary-init.sh', 'utf8')).toMatch(
      /host replication replicator all scram-sha-256/,
    );
  });

  it('balances nginx over the two API instances on their port', () => {
    const conf = readFileSync('deploy/nginx/default.conf', 'utf8');
    const upstreams = [...conf.matchAll(/^\s*server (\S+):(\d+)/gm)].map((m) => `${m[1]}:${m[2]}`);
    expect(upstreams).toEqual(apis.map((api) => `${api}:4000`));
    expect(conf).toMatch(/proxy_pass http:\/\/app;/);
  });

  it('closes idle upstream connections before a stopping instance gives up waiting for them', () => {
    const conf = readFileSync('deploy/nginx/default.conf', 'utf8');
    const keepAlive = /^\s*keepalive_timeout (\d+)s;/m.exec(conf);
    const grace = /IDLE_CONNECTIONS_GRACE_MS = ([\d_]+);/.exec(
      readFileSync('src/server.ts', 'utf8'),
    );
    expect(keepAlive).not.toBeNull();
    expect(Number(keepAlive![1]) * 1000).toBeLessThan(Number(grace![1]!.replace(/_/g, '')));
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
