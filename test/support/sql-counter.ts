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
