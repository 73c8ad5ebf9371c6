import { z } from 'zod';

/**
 * The only reader of `process.env`. Parsed once at boot; a bad value stops the start with a
 * message naming the variable, never a surprise at the first request.
 */

const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

const port = z.coerce.number().int().min(0).max(65535);
const positiveInt = z.coerce.number().int().positive();

const EnvSchema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  HOST: z.string().min(1).default('localhost'),
  PORT: port.default(4000),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),

  /** Unset: the app starts an embedded PostgreSQL of its own (see src/db/embedded-postgres.ts). */
  DATABASE_URL: z
    .url({ protocol: /^postgres(ql)?$/, error: 'must be a postgres:// or postgresql:// URL' })
    .optional(),
  /** The seed's `pool_size`: connections this process may hold at once. */
  DB_POOL_MAX: positiveInt.max(1000).default(10),
  /** Connections kept open while idle, so a quiet server answers its next request warm. */
  DB_POOL_MIN: z.coerce.number().int().min(0).default(2),
  /** How long a request may wait for a free connection before it fails (knex waits 60 s). */
  DB_ACQUIRE_TIMEOUT_MS: positiveInt.default(3000),
  /** PostgreSQL cancels any statement that runs longer than this. */
  DB_STATEMENT_TIMEOUT_MS: positiveInt.default(10_000),

  EMBEDDED_PG_DIR: z.string().min(1).default('.data/postgres'),
  EMBEDDED_PG_PORT: port.default(54329),
  /** Seed the demo catalog on start when the database has no products yet. */
  SEED_DEMO: bool.default(true),
});

export type Config = Readonly<z.infer<typeof EnvSchema>>;

export class ConfigError extends Error {
  constructor(readonly issues: string[]) {
    super(`Invalid configuration:\n${issues.map((i) => `  - ${i}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  // Empty strings mean "unset": `PORT= npm start` must not parse as port 0.
  const present = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== ''));
  const parsed = EnvSchema.safeParse(present);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`),
    );
  }
  if (parsed.data.DB_POOL_MIN > parsed.data.DB_POOL_MAX) {
    throw new ConfigError([
      `DB_POOL_MIN: must not exceed DB_POOL_MAX (${parsed.data.DB_POOL_MAX})`,
    ]);
  }
  return Object.freeze(parsed.data);
}
