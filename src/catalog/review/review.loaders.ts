import type { EntityManager } from '@mikro-orm/postgresql';
import DataLoader from 'dataloader';
import { groupBy, intArrayParam } from '../../shared/batching';
import { cursorScope, encodeCursor, type CursorPosition } from '../../shared/pagination';
import { reviewColumns, ReviewView, type ReviewRow } from './review.view';
import { selectRows } from '../../shared/sql';

/**
 * Reviews of one product are listed newest first (ties by id): the product is the list, so its
 * id is the scope of the cursors, and one product's cursor is refused by another's reviews.
 */
export function reviewCursorScope(productId: number): string {
  return cursorScope(['review', productId, 'newest']);
}

export function reviewCursor(scope: string, review: ReviewView): string {
  return encodeCursor(scope, { value: review.createdAt.toISOString(), id: review.id });
}

export interface ReviewPageKey {
  productId: number;
  /** Rows to read: the page size plus one, to learn whether more follow. */
  limit: number;
  after: CursorPosition | null;
}

/**
 * "The first N reviews of each product" for every product on a page, in one statement per
 * distinct (N, cursor): a LATERAL join walks the (product_id, created_at desc, id desc) index once
 * per product and stops after N rows, instead of ranking every review of every product.
 */
const groupOf = (k: ReviewPageKey) => `${k.limit}:${k.after?.value ?? ''}:${k.after?.id ?? ''}`;
const keyOf = (k: ReviewPageKey) => `${k.productId}@${groupOf(k)}`;

export function createReviewPageLoader(em: EntityManager) {
  return new DataLoader<ReviewPageKey, ReviewView[], string>(
    async (keys) => {
      const pages = new Map<string, ReviewView[]>(keys.map((k) => [keyOf(k), []]));
      for (const group of groupBy(keys, groupOf)) {
        const { limit, after } = group[0]!; // shared by the whole group
        const productIds = group.map((k) => k.productId); // unique: DataLoader dedupes keys
        const rows = await selectRows<ReviewRow>(
          em,
          `select r.* from unnest(?::int[]) as p(id)
           cross join lateral (
             select ${reviewColumns('review')} from review
              where product_id = p.id
                ${after ? 'and (review.created_at, review.id) < (?::timestamptz, ?)' : ''}
              -- the index's own columns, so the walk stops after the limit
              order by review.created_at desc, review.id desc
              limit ?
           ) r`,
          after
            ? [intArrayParam(productIds), after.value, after.id, limit]
            : [intArrayParam(productIds), limit],
        );
        for (const row of rows) {
          pages.get(keyOf({ productId: row.productId, limit, after }))?.push(new ReviewView(row));
        }
      }
      return keys.map((k) => pages.get(keyOf(k)) ?? []);
    },
    { cacheKeyFn: keyOf },
  );
}
