import { buildSchema, findBreakingChanges, findDangerousChanges } from 'graphql';

export interface SchemaDiff {
  breaking: string[];
  dangerous: string[];
}

/**
 * What changing the SDL from `before` to `after` does to existing clients, by graphql-js's
 * own rules: breaking (a removed field, a new required argument…) and dangerous (a new enum
 * value a client may not handle, a changed default…).
 */
export function diffSchemas(before: string, after: string): SchemaDiff {
  const [old, next] = [buildSchema(before), buildSchema(after)];
  return {
    breaking: findBreakingChanges(old, next).map((c) => `${c.type}: ${c.description}`),
    dangerous: findDangerousChanges(old, next).map((c) => `${c.type}: ${c.description}`),
  };
}
