import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import {
  activationSocket,
  CONFIG_VARIABLES,
  ConfigError,
  DEVELOPMENT_JWT_SECRET,
  loadConfig,
} from './config';

describe('loadConfig', () => {
  it('starts with the seed-like defaults: 10 connections, a short acquire timeout', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      PORT: 4000,
      DB_POOL_MAX: 10,
      DB_ACQUIRE_TIMEOUT_MS: 3000,
      SEED_DEMO: true,
    });
    expect(config.DATABASE_URL).toBeUndefined();
    expect(Object.isFrozen(config)).toBe(true);
  });

  it('treats an empty variable as unset', () => {
    const config = loadConfig({ PORT: '', DATABASE_URL: '' });
    expect(config.PORT).toBe(4000);
    expect(config.DATABASE_URL).toBeUndefined();
  });

  it.each([
    [{ PORT: 'abc' }, /PORT: /],
    [{ PORT: '70000' }, /PORT: /],
    [{ DATABASE_URL: 'mysql://localhost/db' }, /DATABASE_URL: must be a postgres/],
    [{ DB_POOL_MAX: '0' }, /DB_POOL_MAX: /],
    [{ DB_POOL_MIN: '11' }, /DB_POOL_MIN: must not exceed DB_POOL_MAX/],
    [{ LOG_LEVEL: 'loud' }, /LOG_LEVEL: /],
    [{ SEED_DEMO: 'maybe' }, /SEED_DEMO: /],
    [{ NODE_ENV: 'staging' }, /NODE_ENV: /],
    [{ PORT: '4000', METRICS_PORT: '4000' }, /METRICS_PORT: must differ from PORT/],
    [{ LISTEN_FDS: 'three' }, /LISTEN_FDS: /],
    [{ LISTEN_FDS: '1', LISTEN_PID: '0' }, /LISTEN_PID: /],
    [
      { LISTEN_FDS: '2', LISTEN_PID: String(process.pid) },
      /LISTEN_FDS: 2 sockets passed; the server serves exactly one/,
    ],
    [
      { DB_STATEMENT_TIMEOUT_ON: 'pgbouncer' },
      /DB_STATEMENT_TIMEOUT_ON: must be connection or role/,
    ],
  ])('refuses %j, naming the variable', (env, message) => {
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(message);
  });

  const IDP_CLAIMS = { JWT_ISSUER: 'https://idp.example/', JWT_AUDIENCE: 'catalog-api' };

  it('signs development tokens with a fixed secret when none is set', () => {
    expect(loadConfig({}).JWT_SECRET).toBe(DEVELOPMENT_JWT_SECRET);
    expect(
      loadConfig({ JWT_JWKS_URL: 'https://idp.example/jwks.json', ...IDP_CLAIMS }).JWT_SECRET,
    ).toBeUndefined();
  });

  it.each([
    [{ NODE_ENV: 'production' }, /JWT_SECRET: production needs/],
    [
      { NODE_ENV: 'production', JWT_SECRET: DEVELOPMENT_JWT_SECRET },
      /development secret is public/,
    ],
    [
      { NODE_ENV: 'production', JWT_SECRET: 'p'.repeat(40), GRAPHQL_SHADOW_EXECUTION: 'true' },
      /GRAPHQL_SHADOW_EXECUTION: for tests only/,
    ],
    [{ JWT_SECRET: 'short' }, /JWT_SECRET: must be at least 32/],
    [{ OTEL_EXPORTER_OTLP_ENDPOINT: 'collector:4318' }, /OTEL_EXPORTER_OTLP_ENDPOINT: /],
    [{ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'ftp://c/v1' }, /OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: /],
    [{ JWT_SECRET: 'x'.repeat(32), JWT_JWKS_URL: 'https://idp.example/jwks' }, /not both/],
    [
      { JWT_JWKS_URL: 'https://idp.example/jwks', JWT_ISSUER: 'https://idp.example/' },
      /JWT_AUDIENCE: required with JWT_JWKS_URL/,
    ],
    [
      { JWT_JWKS_URL: 'https://idp.example/jwks', JWT_AUDIENCE: 'catalog-api' },
      /JWT_ISSUER: required with JWT_JWKS_URL/,
    ],
  ])('refuses unsafe token settings %j', (env, message) => {
    expect(() => loadConfig(env)).toThrow(message);
  });

  it('starts in production with its own secret or a JWKS URL', () => {
    expect(() => loadConfig({ NODE_ENV: 'production', JWT_SECRET: 'p'.repeat(40) })).not.toThrow();
    expect(() =>
      loadConfig({
        NODE_ENV: 'production',
        JWT_JWKS_URL: 'https://idp.example/jwks',
        ...IDP_CLAIMS,
      }),
    ).not.toThrow();
  });

  it('reports every bad variable at once', () => {
    expect(() => loadConfig({ PORT: 'x', LOG_LEVEL: 'y' })).toThrow(/PORT: [\s\S]*LOG_LEVEL: /);
  });
});

describe('replicas and consistency tokens', () => {
  it('reads a comma-separated list of replica URLs', () => {
    const config = loadConfig({
      DATABASE_REPLICA_URLS: 'postgres://a:b@r1/db, postgresql://a:b@r2/db,',
    });
    expect(config.DATABASE_REPLICA_URLS).toEqual([
      'postgres://a:b@r1/db',
      'postgresql://a:b@r2/db',
    ]);
    expect(loadConfig({}).DATABASE_REPLICA_URLS).toEqual([]);
  });

  it('names a replica URL that is not a PostgreSQL one', () => {
    expect(() =>
      loadConfig({ DATABASE_REPLICA_URLS: 'postgres://a:b@r1/db,mysql://r2/db' }),
    ).toThrow(/DATABASE_REPLICA_URLS\.1: each replica must be a postgres/);
  });

  it('refuses a short token secret, a zero lifetime and a wait beyond 10 s', () => {
    expect(() => loadConfig({ CONSISTENCY_TOKEN_SECRET: 'short' })).toThrow(
      /CONSISTENCY_TOKEN_SECRET: must be at least 32 characters/,
    );
    expect(() => loadConfig({ CONSISTENCY_TOKEN_TTL_S: '0' })).toThrow(/CONSISTENCY_TOKEN_TTL_S/);
    expect(() => loadConfig({ CONSISTENCY_WAIT_MS: '60000' })).toThrow(/CONSISTENCY_WAIT_MS/);
  });

  it('refuses a replica check interval under 50 ms and a lag bound of 0', () => {
    expect(() => loadConfig({ DATABASE_REPLICA_CHECK_MS: '10' })).toThrow(
      /DATABASE_REPLICA_CHECK_MS: Too small/,
    );
    expect(() => loadConfig({ DATABASE_REPLICA_MAX_LAG_MS: '0' })).toThrow(
      /DATABASE_REPLICA_MAX_LAG_MS/,
    );
  });

  it('needs a token secret of its own when bearer tokens are verified by JWKS', () => {
    const jwks = {
      JWT_JWKS_URL: 'https://idp.example/jwks',
      JWT_ISSUER: 'idp',
      JWT_AUDIENCE: 'api',
      DATABASE_REPLICA_URLS: 'postgres://a:b@r1/db',
    };
    expect(() => loadConfig(jwks)).toThrow(/CONSISTENCY_TOKEN_SECRET: required/);
    expect(() => loadConfig({ ...jwks, CONSISTENCY_TOKEN_SECRET: 'c'.repeat(32) })).not.toThrow();
  });
});

describe('README.md', () => {
  it('documents every configuration variable', () => {
    const readme = readFileSync('README.md', 'utf8');
    expect(CONFIG_VARIABLES.filter((name) => !readme.includes(`\`${name}\``))).toEqual([]);
  });
});

describe('the development secret', () => {
  it('is refused on a host other machines can reach', () => {
    expect(() => loadConfig({ HOST: '0.0.0.0' })).toThrow(/reachable from other machines/);
    expect(() => loadConfig({ HOST: '0.0.0.0', JWT_SECRET: 's'.repeat(40) })).not.toThrow();
  });
});

describe('the shared APQ store (many instances)', () => {
  it('is off by default, with a day-long TTL and a short timeout when on', () => {
    expect(loadConfig({}).APQ_REDIS_URL).toBeUndefined();
    expect(loadConfig({ APQ_REDIS_URL: 'redis://127.0.0.1:6379' })).toMatchObject({
      APQ_REDIS_URL: 'redis://127.0.0.1:6379',
      APQ_REDIS_TTL_SECONDS: 86_400,
      APQ_REDIS_TIMEOUT_MS: 250,
    });
  });

  it.each([
    [{ APQ_REDIS_URL: 'http://cache:6379' }, /APQ_REDIS_URL: must be a redis:\/\/ or rediss:\/\//],
    [{ APQ_REDIS_URL: 'not a url' }, /APQ_REDIS_URL: must be a redis/],
    [{ APQ_REDIS_TTL_SECONDS: '0' }, /APQ_REDIS_TTL_SECONDS: /],
    [{ APQ_REDIS_TTL_SECONDS: String(31 * 24 * 3600) }, /APQ_REDIS_TTL_SECONDS: /],
    [{ APQ_REDIS_TIMEOUT_MS: 'soon' }, /APQ_REDIS_TIMEOUT_MS: /],
    [{ APQ_REDIS_TIMEOUT_MS: '60000' }, /APQ_REDIS_TIMEOUT_MS: /],
  ])('refuses %j, naming the variable', (env, message) => {
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(message);
  });
});

describe('socket activation (systemd: LISTEN_FDS, LISTEN_PID)', () => {
  const pid = String(process.pid);

  it('serves fd 3 when one socket is passed to this very process', () => {
    expect(activationSocket(loadConfig({ LISTEN_FDS: '1', LISTEN_PID: pid }))).toBe(3);
    expect(activationSocket(loadConfig({}))).toBeUndefined();
  });

  it('ignores sockets meant for another process, or for no named one, as sd_listen_fds does', () => {
    const other = String(process.pid + 1);
    expect(activationSocket(loadConfig({ LISTEN_FDS: '1', LISTEN_PID: other }))).toBeUndefined();
    expect(activationSocket(loadConfig({ LISTEN_FDS: '1' }))).toBeUndefined();
    // Not ours, so not checked: a parent's two sockets do not stop this process.
    expect(() => loadConfig({ LISTEN_FDS: '2', LISTEN_PID: other })).not.toThrow();
  });

  it('refuses no socket at all for this process, naming LISTEN_FDS', () => {
    expect(() => loadConfig({ LISTEN_FDS: '0', LISTEN_PID: pid })).toThrow(
      /LISTEN_FDS: 0 sockets passed/,
    );
  });
});
