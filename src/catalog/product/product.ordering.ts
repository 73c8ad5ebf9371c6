import {
  QueryOrder,
  raw,
  type ObjectQuery,
  type QueryOrderMap,
  type RawQueryFragment,
} from '@mikro-orm/postgresql';
import { BadUserInputError } from '../../shared/errors';
import { isTimestampText, type CursorPosition } from '../../shared/pagination';
import { type Product } from './product.entity';
import type { ProductView } from './product.view';
import { OrderDirection, ProductOrderField, type ResolvedProductOrder } from './product.inputs';
import { relevanceSql, type ProductSearch } from './product.search';

type SortProperty = 'name' | 'price' | 'createdAt' | 'ratingAverage';

interface SortKey {
  /** A column; absent for RELEVANCE, which sorts by an expression of the search. */
  property?: SortProperty;
  /** Nullable keys rank nulls lowest: first ascending, last descending (one index serves both). */
  nullable: boolean;
  /** The row's sort value as cursor text. */
  valueOf(product: ProductView): string | null;
  /** Cursor text back to a value the query can compare with; false when it cannot be one. */
  isValid(text: string): boolean;
}

/*
 * What a cursor may hold for each key: the values a row can have, in the form this API writes
 * them. Anything else (NaN, exponents, more digits than the column, years PostgreSQL cannot
 * read) is refused here, before SQL, instead of failing in the query as an internal error.
 */
/** price numeric(12,2), never negative (a check constraint). */
const PRICE_TEXT = /^\d{1,10}(\.\d{1,2})?$/;
/** rating_average numeric(5,4): a mean of ratings 1 to 5. */
const RATING_TEXT = /^\d(\.\d{1,4})?$/;
/** A relevance as JavaScript prints the rank (a real, never negative): "0.0607927", "1e-7". */
const FLOAT_TEXT = /^\d{1,40}(\.\d{1,40})?(e[-+]?\d{1,3})?$/i;
/** The range of a real (float4) that PostgreSQL reads back without an out-of-range error. */
const isRealText = (text: string): boolean => {
  if (!FLOAT_TEXT.test(text)) return false;
  const value = Number(text);
  return value === 0 || (value >= 1e-37 && value <= 1e37);
};
/** name varchar(200): at most 200 characters (code points, as PostgreSQL counts them). */
const isNameText = (text: string): boolean => text.length <= 400 && [...text].length <= 200;

const SORT_KEYS: Record<Exclude<ProductOrderField, 'RELEVANCE'>, SortKey> = {
  NAME: { property: 'name', nullable: false, valueOf: (p) => p.name, isValid: isNameText },
  PRICE: {
    property: 'price',
    nullable: false,
    valueOf: (p) => p.price,
    isValid: (t) => PRICE_TEXT.test(t),
  },
  CREATED_AT: {
    property: 'createdAt',
    nullable: false,
    valueOf: (p) => p.createdAt.toISOString(),
    isValid: isTimestampText,
  },
  RATING: {
    property: 'ratingAverage',
    nullable: true,
    valueOf: (p) => p.ratingAverage ?? null,
    isValid: (t) => RATING_TEXT.test(t),
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
  /** RELEVANCE only: each row's rank, as read with it (the cursor keeps it). */
  readonly ranks = new WeakMap<ProductView, number>();

  constructor(
    readonly order: ResolvedProductOrder,
    backward: boolean,
    private readonly search: ProductSearch | null = null,
  ) {
    if (order.field === ProductOrderField.RELEVANCE) {
      if (!search) {
        throw BadUserInputError.field('orderBy', 'needsSearch', 'RELEVANCE needs a search');
      }
      this.key = {
        nullable: false,
        valueOf: (p) => String(this.ranks.get(p) ?? 0),
        isValid: isRealText,
      };
    } else {
      this.key = SORT_KEYS[order.field];
    }
    this.ascending = (order.direction === OrderDirection.ASC) !== backward;
  }

  /** Ordered by search relevance: each row is read with its rank (relevanceSelect). */
  get byRelevance(): boolean {
    return this.order.field === ProductOrderField.RELEVANCE;
  }

  /** The relevance expression to select with the rows, as `relevance` (RELEVANCE order only). */
  relevanceSelect(alias: string): RawQueryFragment | null {
    if (!this.byRelevance) return null;
    const [sql, params] = relevanceSql(this.search!, alias);
    return raw(`${sql} as relevance`, params);
  }

  cursorOf(product: ProductView): CursorPosition {
    return { value: this.key.valueOf(product), id: product.id };
  }

  /** What the order compares: the column, or a fresh raw fragment for an expression. */
  private sortKey(): string {
    if (this.key.property) return this.key.property;
    const [, params] = relevanceSql(this.search!, 'x');
    return raw<Product, string>((alias) => relevanceSql(this.search!, alias)[0], params);
  }

  orderBy(): QueryOrderMap<Product>[] {
    const { nullable } = this.key;
    let direction: QueryOrder = this.ascending ? QueryOrder.ASC : QueryOrder.DESC;
    if (nullable)
      direction = this.ascending ? QueryOrder.ASC_NULLS_FIRST : QueryOrder.DESC_NULLS_LAST;
    return [
      { [this.sortKey()]: direction },
      { id: this.ascending ? QueryOrder.ASC : QueryOrder.DESC },
    ];
  }

  /** Rows strictly after `cursor` in the read order (keyset pagination: no OFFSET, no drift). */
  after(cursor: CursorPosition, argName: string): ObjectQuery<Product> {
    const { nullable } = this.key;
    const { value, id } = cursor;
    if (value === null ? !nullable : !this.key.isValid(value)) {
      throw BadUserInputError.field(argName, 'cursor', 'is not a cursor this API issued');
    }
    const beyond = this.ascending ? '$gt' : '$lt';
    const sameValueLaterId = { [this.sortKey()]: value, id: { [beyond]: id } };
    if (value === null) {
      // Nulls rank lowest: ascending, every non-null row follows them; descending, none does.
      return this.ascending
        ? { $or: [sameValueLaterId, { [this.sortKey()]: { $ne: null } }] }
        : sameValueLaterId;
    }
    const branches: ObjectQuery<Product>[] = [
      { [this.sortKey()]: { [beyond]: value } },
      sameValueLaterId,
    ];
    if (nullable && !this.ascending) branches.push({ [this.sortKey()]: null });
    return { $or: branches };
  }
}
