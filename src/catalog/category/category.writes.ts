import { raw, type EntityManager } from '@mikro-orm/postgresql';
import { BadUserInputError, ConflictError } from '../../shared/errors';
import { findByIdOrFail } from '../../shared/ids';
import { inTransaction } from '../../shared/unit-of-work';
import { Product } from '../product/product.entity';
import { Category } from './category.entity';
import type { CreateCategoryInput, UpdateCategoryInput } from './category.inputs';

export function createCategory(em: EntityManager, input: CreateCategoryInput): Promise<Category> {
  return inTransaction(em, async (tx) =>
    tx.create(Category, { slug: input.slug, name: input.name.trim() }),
  );
}

export function updateCategory(
  em: EntityManager,
  id: string,
  input: UpdateCategoryInput,
): Promise<Category> {
  return inTransaction(em, async (tx) => {
    const category = await findCategoryOrFail(tx, id);
    if (input.slug !== undefined) category.slug = input.slug;
    if (input.name !== undefined) category.name = input.name.trim();
    return category;
  });
}

export interface DeleteCategoryOptions {
  /** Move the category's products to this category first. */
  moveProductsTo?: string | null;
  /** Delete the category's products (and their reviews) with it. */
  deleteProducts?: boolean | null;
}

/**
 * Deletes a category. One that still has products is refused (CONFLICT) unless the caller says
 * where they go; moving or deleting them happens in the same transaction as the delete.
 */
export function deleteCategory(
  em: EntityManager,
  id: string,
  options: DeleteCategoryOptions,
): Promise<string> {
  if (options.moveProductsTo != null && options.deleteProducts) {
    throw new BadUserInputError('Pass moveProductsTo or deleteProducts, not both', [
      {
        field: 'moveProductsTo',
        constraint: 'exclusive',
        message: 'cannot be combined with deleteProducts',
      },
    ]);
  }
  return inTransaction(em, async (tx) => {
    const category = await findCategoryOrFail(tx, id);
    const productCount = await tx.count(Product, { category });
    if (productCount > 0) {
      if (options.moveProductsTo != null) {
        const target = await findCategoryOrFail(tx, options.moveProductsTo, 'moveProductsTo');
        if (target.id === category.id) {
          throw BadUserInputError.field('moveProductsTo', 'different', 'must be another category');
        }
        await tx.nativeUpdate(
          Product,
          { category },
          { category: target, version: raw('version + 1'), updatedAt: new Date() },
        );
      } else if (options.deleteProducts) {
        await tx.nativeDelete(Product, { category }); // reviews go with them (ON DELETE CASCADE)
      } else {
        throw new ConflictError(
          `Category ${id} still has ${productCount} products: pass moveProductsTo or deleteProducts`,
          { productCount },
        );
      }
    }
    tx.remove(category);
    return String(category.id);
  });
}

export function findCategoryOrFail(em: EntityManager, id: string, field = 'id'): Promise<Category> {
  return findByIdOrFail(em, Category, id, field);
}
