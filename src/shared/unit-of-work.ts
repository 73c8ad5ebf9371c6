import {
  CheckConstraintViolationException,
  ForeignKeyConstraintViolationException,
  UniqueConstraintViolationException,
  type EntityManager,
} from '@mikro-orm/postgresql';
import { routingOf } from '../db/replicas/session-routing';
import { ConflictError } from './errors';

/**
 * One mutation, one unit of work: `work` runs in a transaction on a child of the request's
 * EntityManager. It commits whole, or rolls back whole and leaves the request's EntityManager
 * as it was — a failed flush cannot poison later work in the same request. Constraint
 * violations the database reports (a racing duplicate, a row still referenced) become CONFLICT.
 */
export async function inTransaction<T>(
  em: EntityManager,
  work: (em: EntityManager) => Promise<T>,
): Promise<T> {
  try {
    // clear: the transaction's EntityManager shares no entity instance with the request's, so
    // changes a failed unit of work made to entities never leak into a later one.
    // loggerContext: BEGIN and COMMIT are booked to the request's SQL spend like the rest.
    const result = await em.transactional(work, {
      clear: true,
      loggerContext: em.getLoggerContext(),
    });
    // With replicas: the commit's WAL position, read after it, for read-your-writes.
    const routing = routingOf(em);
    // A write that committed is not failed by this read failing: the answer then has no token.
    if (routing) await routing.committed(em).catch(() => undefined);
    return result;
  } catch (error) {
    throw translateConstraintViolation(error);
  }
}

function translateConstraintViolation(error: unknown): unknown {
  const constraint = (error as { constraint?: unknown }).constraint;
  const name = typeof constraint === 'string' ? constraint : '';
  if (error instanceof UniqueConstraintViolationException) {
    const field = fieldOf(name, 'unique');
    return new ConflictError(`Another record already has this ${field}`, { field });
  }
  if (error instanceof ForeignKeyConstraintViolationException) {
    return new ConflictError('The record is referenced by others, or references one that is gone');
  }
  if (error instanceof CheckConstraintViolationException) {
    const field = fieldOf(name, 'check');
    return new ConflictError(`The change would leave ${field} out of its allowed range`, { field });
  }
  return error;
}

/** "product_sku_unique" → "sku", "product_stock_check" → "stock" (MikroORM's naming). */
function fieldOf(constraint: string, suffix: string): string {
  const column = constraint
    .replace(new RegExp(`_${suffix}$`), '')
    .split('_')
    .slice(1)
    .join('_');
  return column.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase()) || 'value';
}
