import type { EntityClass, EntityManager } from '@mikro-orm/postgresql';
import { BadUserInputError, NotFoundError } from './errors';

const MAX_INT4 = 2_147_483_647;

/**
 * Reads a GraphQL `ID` argument as a row id. Text that is not an id at all is the caller's
 * mistake (BAD_USER_INPUT); a well-formed id beyond the column's range simply matches nothing.
 */
export function parseId(field: string, value: string | number): number | null {
  const text = String(value).trim();
  if (!/^\d{1,20}$/.test(text)) {
    throw BadUserInputError.field(field, 'id', `"${text.slice(0, 40)}" is not a valid id`);
  }
  const id = Number(text);
  return id >= 1 && id <= MAX_INT4 ? id : null;
}

/**
 * The row a mutation acts on: BAD_USER_INPUT when `id` is not an id, NOT_FOUND (naming `field`)
 * when no row has it.
 */
export async function findByIdOrFail<T extends object>(
  em: EntityManager,
  entity: EntityClass<T>,
  id: string,
  field = 'id',
): Promise<T> {
  const rowId = parseId(field, id);
  const row = rowId === null ? null : await em.findOne(entity, rowId as never);
  if (!row) throw new NotFoundError(entity.name, id, field);
  return row;
}
