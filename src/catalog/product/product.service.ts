import type { EntityManager, ObjectQuery } from '@mikro-orm/postgresql';
import type { ConnectionData } from '../../shared/connection';
import { BadUserInputError } from '../../shared/errors';
import { parseId } from '../../shared/ids';
import {
  encodeCursor,
  slicePage,
  toPageRequest,
  type PageArgs,
  type PageRequest,
} from '../../shared/pagination';
import { Product } from './product.entity';
import { DEFAULT_PRODUCT_ORDER, type ProductFilter, type ProductOrder } from './product.inputs';
import { ProductSort } from './product.ordering';

const MAX_TEXT_FILTER = 200;

export async function findProduct(em: EntityManager, id: string): Promise<Product | null> {
  const productId = parseId('id', id);
  return productId === null ? null : em.findOne(Product, productId);
}

export interface ProductListArgs extends PageArgs {
  filter?: ProductFilter | null;
  orderBy?: ProductOrder | null;
}

/**
 * A validated product list request: the filter as a WHERE, the order, and the page. Built (and
 * its input errors thrown) before any SQL runs, so one bad argument fails only its own field.
 */
export interface ProductPageQuery {
  /** The filtered list, all pages: what totalCount counts. */
  where: ObjectQuery<Product>;
  /** `where` narrowed to the rows after the cursor: what the page reads. */
  pageWhere: ObjectQuery<Product>;
  sort: ProductSort;
  page: PageRequest;
  /** Equal for equal filters: batches many parents' counts of the same filter together. */
  filterKey: string;
  /** Equal for equal arguments: batches many parents' pages of the same query together. */
  key: string;
}

export function productPageQuery(args: ProductListArgs): ProductPageQuery {
  const order = args.orderBy ?? DEFAULT_PRODUCT_ORDER;
  const page = toPageRequest(args, new ProductSort(order, false).cursorScope);
  const sort = new ProductSort(order, page.backward);
  const where = productFilterWhere(args.filter);
  const pageWhere = page.cursor
    ? { $and: [where, sort.after(page.cursor, page.backward ? 'before' : 'after')] }
    : where;
  const filterKey = JSON.stringify(args.filter ?? null);
  const key = JSON.stringify([filterKey, order, page]);
  return { where, pageWhere, sort, page, filterKey, key };
}

/** Turns the `size + 1` rows read for a page into the connection a client sees. */
export function toProductConnection(
  rows: Product[],
  query: ProductPageQuery,
  countTotal: () => Promise<number>,
): ConnectionData<Product> {
  const { sort } = query;
  const page = slicePage(rows, query.page, (p) => encodeCursor(sort.cursorScope, sort.cursorOf(p)));
  return { ...page, countTotal };
}

/** One page of all products: one SELECT, plus a COUNT only if `totalCount` is selected. */
export async function findProductPage(
  em: EntityManager,
  query: ProductPageQuery,
): Promise<ConnectionData<Product>> {
  const rows = await em.find(Product, query.pageWhere, {
    orderBy: query.sort.orderBy(),
    limit: query.page.size + 1,
  });
  return toProductConnection(rows, query, () => em.count(Product, query.where));
}

export function productFilterWhere(filter?: ProductFilter | null): ObjectQuery<Product> {
  if (!filter) return {};
  const conditions: ObjectQuery<Product>[] = [];

  const text = filter.text?.trim();
  if (text) {
    if (text.length > MAX_TEXT_FILTER) {
      throw BadUserInputError.field(
        'filter.text',
        'maxLength',
        `must be at most ${MAX_TEXT_FILTER} characters`,
      );
    }
    const pattern = `%${escapeLike(text)}%`;
    conditions.push({ $or: [{ name: { $ilike: pattern } }, { description: { $ilike: pattern } }] });
  }
  if (filter.categoryId != null) {
    const categoryId = parseId('filter.categoryId', filter.categoryId);
    // An id beyond the column's range names no category: match nothing, not "no category".
    conditions.push(categoryId === null ? { id: { $in: [] } } : { category: categoryId });
  }
  if (filter.categorySlug != null) conditions.push({ category: { slug: filter.categorySlug } });
  const { minPrice, maxPrice } = filter;
  // At most 12 significant digits (Decimal scalar): comparing as numbers is exact here.
  if (minPrice != null && maxPrice != null && Number(minPrice) > Number(maxPrice)) {
    throw new BadUserInputError('filter.minPrice must not exceed filter.maxPrice', [
      { field: 'filter.minPrice', constraint: 'range', message: 'must not exceed maxPrice' },
      { field: 'filter.maxPrice', constraint: 'range', message: 'must not be below minPrice' },
    ]);
  }
  if (minPrice != null) conditions.push({ price: { $gte: minPrice } });
  if (maxPrice != null) conditions.push({ price: { $lte: maxPrice } });
  if (filter.inStock != null) conditions.push({ stock: filter.inStock ? { $gt: 0 } : 0 });
  return conditions.length ? { $and: conditions } : {};
}

/** LIKE treats % and _ as wildcards; a shopper typing "50%" means the characters. */
function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`);
}
