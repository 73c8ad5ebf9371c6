import type { ConnectionData } from '../../shared/connection';
import { BadUserInputError } from '../../shared/errors';
import { isTimestampText, slicePage, toPageRequest, type PageArgs } from '../../shared/pagination';
import type { Loaders } from '../../graphql/loaders';
import type { ProductView } from '../product/product.view';
import type { ReviewView } from './review.view';
import { reviewCursor, reviewCursorScope } from './review.loaders';

/**
 * A page of one product's reviews, batched with every other product's on the same response.
 * `withPageInfo`: whether the client selected pageInfo, the only reader of the extra row read
 * to learn whether more follow (docs/performance.md#deep-lists).
 */
export async function productReviewPage(
  loaders: Loaders,
  product: ProductView,
  args: PageArgs,
  withPageInfo = true,
): Promise<ConnectionData<ReviewView>> {
  // On first use only: most review lists on a response never read or write a cursor.
  let scope: string | undefined;
  const scopeOf = () => (scope ??= reviewCursorScope(product.id));
  const page = toPageRequest(args, scopeOf);
  if (page.cursor && (page.cursor.value === null || !isTimestampText(page.cursor.value))) {
    throw BadUserInputError.field('after', 'cursor', 'is not a cursor this API issued');
  }
  const rows = await loaders.reviewPage.load({
    productId: product.id,
    limit: withPageInfo ? page.size + 1 : page.size,
    after: page.cursor,
  });
  // The review rollup trigger keeps reviewCount exact: counting needs no statement.
  return {
    ...slicePage(rows, page, (review) => reviewCursor(scopeOf(), review)),
    countTotal: () => product.reviewCount,
  };
}
