import { describe, expect, it } from '@jest/globals';
import { ConfigError, loadConfig } from './config';

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
  ])('refuses %j, naming the variable', (env, message) => {
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(message);
  });

  it('reports every bad variable at once', () => {
    expect(() => loadConfig({ PORT: 'x', LOG_LEVEL: 'y' })).toThrow(/PORT: [\s\S]*LOG_LEVEL: /);
  });
});
