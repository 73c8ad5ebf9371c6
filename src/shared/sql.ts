import type { EntityManager, Knex } from '@mikro-orm/postgresql';

/**
 * A statement of the read path, returning plain rows. The one way loaders and lists read: the
 * request's EntityManager runs it (so it is logged, timed and attributed like any other), and a
 * driver error becomes MikroORM's exception for it, as `em.find` would throw — which is what
 * tells "the database is unavailable" (SERVICE_UNAVAILABLE) from a bug.
 */
export async function selectRows<T>(
  em: EntityManager,
  sql: string | Knex.QueryBuilder,
  params: readonly unknown[] = [],
): Promise<T[]> {
  try {
    return await em.getConnection().execute<T[]>(sql, [...params]);
  } catch (error) {
    throw em.getDriver().convertException(error as Error);
  }
}
