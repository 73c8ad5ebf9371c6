import type { MikroORM } from '@mikro-orm/postgresql';

/**
 * Counts the SQL statements the ORM's pool runs, from knex's own `query` event (every statement,
 * raw or built, passes through it). Tests run one request at a time while counting.
 */
export function countStatements(orm: MikroORM) {
  const statements: string[] = [];
  const knex = orm.em.getConnection().getKnex();
  const listener = (query: { sql: string }) => statements.push(query.sql);
  knex.on('query', listener);
  return {
    statements,
    reset: () => void statements.splice(0),
    stop: () => void knex.off('query', listener),
  };
}

/**
 * Runs `query` three times (graphql-js first, compiled once the server compiles it) and returns the
 * responses and the distinct LIMITs of the statements `statement` matches, read by `limit`
 * (its first group): what a page read asked of PostgreSQL.
 */
export async function pageLimitsOf(
  server: { orm: MikroORM; gql(query: string): Promise<{ data?: unknown; errors?: unknown }> },
  query: string,
  { statement, limit }: { statement: RegExp; limit: RegExp },
) {
  const counter = countStatements(server.orm);
  try {
    const responses = [];
    for (let run = 0; run < 3; run++) responses.push(await server.gql(query));
    const limits = counter.statements
      .filter((sql) => statement.test(sql))
      .map((sql) => Number(limit.exec(sql)?.[1]));
    return { responses, limits: [...new Set(limits)] };
  } finally {
    counter.stop();
  }
}
