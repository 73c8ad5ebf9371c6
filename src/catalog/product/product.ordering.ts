import { QueryOrder, type ObjectQuery, type QueryOrderMap } from '@mikro-orm/postgresql';
import { BadUserInputError } from '../../shared/errors';
import type { CursorPosition } from '../../shared/pagination';
import { type Product } from './product.entity';
import { OrderDirection, type ProductOrderField, type ProductOrder } from './product.inputs';

type SortProperty = 'name' | 'price' | 'createdAt' | 'ratingAverage';

interface SortKey {
  property: SortProperty;
  /** Nullable keys rank nulls lowest: first ascending, last descending (one index serves both). */
  nullable: boolean;
  /** The row's sort value as cursor text. */
  valueOf(product: Product): string | null;
  /** Cursor text back to a value the query can compare with; false when it cannot be one. */
  isValid(text: string): boolean;
}

const DECIMAL_TEXT = /^-?\d+(\.\d+)?$/;

const SORT_KEYS: Record<ProductOrderField, SortKey> = {
  NAME: { property: 'name', nullable: false, valueOf: (p) => p.name, isValid: () => true },
  PRICE: {
    property: 'price',
    nullable: false,
    valueOf: (p) => p.price,
    isValid: (t) => DECIMAL_TEXT.test(t),
  },
  CREATED_AT: {
    property: 'createdAt',
    nullable: false,
    valueOf: (p) => p.createdAt.toISOString(),
    isValid: (t) => !Number.isNaN(Date.parse(t)),
  },
  RATING: {
    property: 'ratingAverage',
    nullable: true,
    valueOf: (p) => p.ratingAverage ?? null,
    isValid: (t) => DECIMAL_TEXT.test(t),
  },
};

/**
 * One product order, read in one direction. Backward pages read the opposite direction from their
 * cursor and are flipped afterwards, so both directions share the keyset logic below.
 */
export class ProductSort {
  private readonly key: SortKey;
  /** The direction rows are read in (the requested one, or its reverse for backward pages). */
  private readonly ascending: boolean;

  constructor(
    readonly order: ProductOrder,
    backward: boolean,
  ) {
    this.key = SORT_KEYS[order.field];
    this.ascending = (order.direction === OrderDirection.ASC) !== backward;
  }

  /** Scope of the cursors: a cursor made for one order is refused by another. */
  get cursorScope(): string {
    return `product:${this.order.field}:${this.order.direction}`;
  }

  cursorOf(product: Product): CursorPosition {
    return { value: this.key.valueOf(product), id: product.id };
  }

  orderBy(): QueryOrderMap<Product>[] {
    const { property, nullable } = this.key;
    let direction: QueryOrder = this.ascending ? QueryOrder.ASC : QueryOrder.DESC;
    if (nullable)
      direction = this.ascending ? QueryOrder.ASC_NULLS_FIRST : QueryOrder.DESC_NULLS_LAST;
    return [{ [property]: direction }, { id: this.ascending ? QueryOrder.ASC : QueryOrder.DESC }];
  }

  /** Rows strictly after `cursor` in the read order (keyset pagination: no OFFSET, no drift). */
  after(cursor: CursorPosition, argName: string): ObjectQuery<Product> {
    const { property, nullable } = this.key;
    const { value, id } = cursor;
    if (value === null ? !nullable : !this.key.isValid(value)) {
      throw BadUserInputError.field(argName, 'cursor', 'is not a cursor this API issued');
    }
    const beyond = this.ascending ? '$gt' : '$lt';
    const sameValueLaterId = { [property]: value, id: { [beyond]: id } };
    if (value === null) {
      // Nulls rank lowest: ascending, every non-null row follows them; descending, none does.
      return this.ascending
        ? { $or: [sameValueLaterId, { [property]: { $ne: null } }] }
        : sameValueLaterId;
    }
    const branches: ObjectQuery<Product>[] = [
      { [property]: { [beyond]: value } },
      sameValueLaterId,
    ];
    if (nullable && !this.ascending) branches.push({ [property]: null });
    return { $or: branches };
  }
}
