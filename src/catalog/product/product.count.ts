import type { EntityManager, ObjectQuery } from '@mikro-orm/postgresql';
import { Product } from './product.entity';
import { selectRows } from '../../shared/sql';

export enum CountMode {
  EXACT = 'EXACT',
  ESTIMATED = 'ESTIMATED',
  CAPPED = 'CAPPED',
}

/**
 * Counts the list `where` describes: exactly; by the planner's row estimate (EXPLAIN, no rows
 * read); or exactly up to `cap`, reading at most cap + 1 rows (a result above `cap` means more).
 */
export async function countProducts(
  em: EntityManager,
  where: () => ObjectQuery<Product>,
  mode: CountMode,
  cap: number,
): Promise<number> {
  if (mode === CountMode.EXACT) return em.count(Product, where());
  const rows = em.createQueryBuilder(Product, 'p').select('p.id').where(where());
  if (mode === CountMode.CAPPED) {
    const { sql, bindings } = rows
      .limit(cap + 1)
      .getKnexQuery()
      .toSQL();
    const [row] = await selectRows<{ n: number }>(
      em,
      `select count(*)::int as n from (${sql}) capped`,
      [...bindings],
    );
    return row?.n ?? 0;
  }
  const { sql, bindings } = rows.getKnexQuery().toSQL();
  const [plan] = await selectRows<{ 'QUERY PLAN': { Plan: { 'Plan Rows': number } }[] }>(
    em,
    `explain (format json) ${sql}`,
    [...bindings],
  );
  return Math.round(plan?.['QUERY PLAN'][0]?.Plan['Plan Rows'] ?? 0);
}
