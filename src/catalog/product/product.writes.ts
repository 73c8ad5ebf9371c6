import { OptimisticLockError, raw, ref, type EntityManager } from '@mikro-orm/postgresql';
import { asNumericText } from '../../shared/decimal.scalar';
import { BadUserInputError, ConflictError, NotFoundError } from '../../shared/errors';
import { findByIdOrFail, parseId } from '../../shared/ids';
import { inTransaction } from '../../shared/unit-of-work';
import { type Category } from '../category/category.entity';
import { findCategoryOrFail } from '../category/category.writes';
import { Product } from './product.entity';
import type { CreateProductInput, UpdateProductInput } from './product.inputs';

const MAX_STOCK = 2_147_483_647;
/** The price column's scale: numeric(12, 2). */
const PRICE_SCALE = 2;
const MAX_STOCK_DELTA = 1_000_000;

export function createProduct(em: EntityManager, input: CreateProductInput): Promise<Product> {
  return inTransaction(em, async (tx) => {
    const category = input.categoryId != null ? await categoryRef(tx, input.categoryId) : null;
    return tx.create(Product, {
      sku: input.sku,
      name: input.name.trim(),
      description: input.description ?? null,
      price: asNumericText(input.price, PRICE_SCALE),
      stock: input.stock,
      category,
    });
  });
}

/**
 * A partial update. With `expectedVersion`, a product changed since that version is refused;
 * without it, a change that races another is still refused rather than silently overwriting it:
 * the UPDATE matches the version it read (MikroORM's optimistic lock).
 */
export async function updateProduct(
  em: EntityManager,
  id: string,
  input: UpdateProductInput,
): Promise<Product> {
  try {
    return await inTransaction(em, async (tx) => {
      const product = await findProductOrFail(tx, id);
      if (input.expectedVersion != null && input.expectedVersion !== product.version) {
        throw staleVersion(product.version);
      }
      if (input.sku !== undefined) product.sku = input.sku;
      if (input.name !== undefined) product.name = input.name.trim();
      if (input.description !== undefined) product.description = input.description;
      if (input.price !== undefined) product.price = asNumericText(input.price, PRICE_SCALE);
      if (input.stock !== undefined) product.stock = input.stock;
      if (input.categoryId !== undefined) {
        product.category =
          input.categoryId === null ? null : ref(await categoryRef(tx, input.categoryId));
      }
      return product;
    });
  } catch (error) {
    if (!(error instanceof OptimisticLockError)) throw error;
    const current = await em.fork().findOne(Product, Number(id));
    if (!current) throw new NotFoundError('Product', id);
    throw staleVersion(current.version);
  }
}

export function deleteProduct(em: EntityManager, id: string): Promise<string> {
  return inTransaction(em, async (tx) => {
    const product = await findProductOrFail(tx, id);
    tx.remove(product); // its reviews go in the same statement (ON DELETE CASCADE)
    return String(product.id);
  });
}

/**
 * Adds `delta` to the stock in one conditional UPDATE, so concurrent calls can never take it
 * below zero: the database checks and changes the row in the same statement.
 */
export function adjustStock(em: EntityManager, id: string, delta: number): Promise<Product> {
  if (delta === 0 || Math.abs(delta) > MAX_STOCK_DELTA) {
    throw BadUserInputError.field(
      'delta',
      'range',
      `must be non-zero and within ±${MAX_STOCK_DELTA}`,
    );
  }
  const productId = parseId('id', id);
  return inTransaction(em, async (tx) => {
    if (productId === null) throw new NotFoundError('Product', id);
    const changed = await tx.nativeUpdate(
      Product,
      { id: productId, stock: delta < 0 ? { $gte: -delta } : { $lte: MAX_STOCK - delta } },
      { stock: raw('stock + ?', [delta]), version: raw('version + 1'), updatedAt: new Date() },
    );
    const product = await tx.findOne(Product, productId, { refresh: true });
    if (!product) throw new NotFoundError('Product', id);
    if (changed === 0) {
      throw new ConflictError(
        delta < 0
          ? `Only ${product.stock} in stock: cannot take ${-delta}`
          : `Stock cannot exceed ${MAX_STOCK}`,
        { field: 'stock', stock: product.stock },
      );
    }
    return product;
  });
}

export function findProductOrFail(em: EntityManager, id: string): Promise<Product> {
  return findByIdOrFail(em, Product, id);
}

async function categoryRef(em: EntityManager, id: string): Promise<Category> {
  return findCategoryOrFail(em, id, 'input.categoryId');
}

function staleVersion(currentVersion: number): ConflictError {
  return new ConflictError(
    `The product has changed since (now version ${currentVersion}); reload it and retry`,
    { field: 'expectedVersion', currentVersion },
  );
}
