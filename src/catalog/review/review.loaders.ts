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
  /** Rows to read: the page size, plus one when pageInfo asks whether more follow. */
  limit: number;
  after: CursorPosition | null;
}

/**
 * "The first N reviews of each product" for every product on a page, in one statement per
 * distinct (N, cursor): a LATERAL join walks the (product_id, created_at desc, id desc) index once
 * per product and stops after N rows, instead of ranking every review of every product.
 */
const groupOf = (k: ReviewPageKey) =>
  k.after ? `${k.limit}:${k.after.value ?? ''}:${k.after.id}` : k.limit;
/**
 * A first page's key is a number (ids < 2³¹, limits < 128: a safe integer), cheap to make and
 * hash for each of a response's hundreds of review lists; a page after a cursor's is a string.
 */
const keyOf = (k: ReviewPageKey): number | string =>
  !k.after && k.limit < 128 ? k.productId * 128 + k.limit : `${k.productId}@${groupOf(k)}`;

export function createReviewPageLoader(em: EntityManager) {
  return new DataLoader<ReviewPageKey, ReviewView[], number | string>(
    async (keys) => {
      // Per (limit, cursor), each product's page by its id: no key string is built per row.
      const pages = new Map<number | string, Map<number, ReviewView[]>>();
      for (const group of groupBy(keys, (k) => String(groupOf(k)))) {
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
        const byProduct = new Map<number, ReviewView[]>(productIds.map((id) => [id, []]));
        for (const row of rows) byProduct.get(row.productId)?.push(new ReviewView(row));
        pages.set(groupOf(group[0]!), byProduct);
      }
      return keys.map((k) => pages.get(groupOf(k))?.get(k.productId) ?? []);
    },
    { cacheKeyFn: keyOf },
  );
}
