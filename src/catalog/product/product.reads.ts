import {
  raw,
  type EntityManager,
  type ObjectQuery,
  type RawQueryFragment,
} from '@mikro-orm/postgresql';
import type { ConnectionData } from '../../shared/connection';
import { BadUserInputError } from '../../shared/errors';
import type { Loaders } from '../../graphql/loaders';
import { parseId } from '../../shared/ids';
import { RenderedStatements, selectRows, type RenderedStatement } from '../../shared/sql';
import {
  cursorScope,
  encodeCursor,
  slicePage,
  toPageRequest,
  type PageArgs,
  type PageRequest,
} from '../../shared/pagination';
import { Product } from './product.entity';
import {
  resolveProductOrder,
  type ProductFilter,
  type ProductOrder,
  type ResolvedProductOrder,
} from './product.inputs';
import { ProductSort } from './product.ordering';
import { resolveSearch, searchCondition, type ProductSearch } from './product.search';
import { productViews } from './product.loaders';
import { productAndCategory, type ProductAndCategoryRow, type ProductView } from './product.view';

const MAX_TEXT_FILTER = 200;

export function findProduct(
  loaders: Loaders,
  id: string,
): ProductView | null | Promise<ProductView | null> {
  const productId = parseId('id', id);
  return productId === null ? null : loaders.productById.load(productId);
}

export interface ProductListArgs extends PageArgs {
  filter?: ProductFilter | null;
  orderBy?: ProductOrder | null;
}

export interface ProductSearchArgs extends ProductListArgs {
  search?: string | null;
}

/** Query.products: the search (text or near spellings, in the page's one statement) and the page. */
export function searchProductsQuery(args: ProductSearchArgs): ProductPageQuery {
  return productPageQuery(args, resolveSearch(args.search));
}

/**
 * A validated product list request: the filter as a WHERE, the order, and the page. Built (and
 * its input errors thrown) before any SQL runs, so one bad argument fails only its own field.
 */
export interface ProductPageQuery {
  /**
   * The filtered list, all pages: what totalCount counts. A fresh condition per call: MikroORM
   * raw fragments (the search) may be used in one query only.
   */
  where: () => ObjectQuery<Product>;
  /** `where` narrowed to the rows after the cursor: what the page reads. */
  pageWhere: () => ObjectQuery<Product>;
  sort: ProductSort;
  page: PageRequest;
  /** Whether the page reads the row after it: only pageInfo (hasNextPage…) needs it. */
  readsMore: boolean;
  search: ProductSearch | null;
  /** Equal for equal filters: batches many parents' counts of the same filter together. */
  filterKey: string;
  /** Equal for equal arguments: batches many parents' pages of the same query together. */
  key: string;
  /** What this list's cursors carry (see cursorScope), computed on first use. */
  scope: () => string;
}

/**
 * `parent`: the list's owner when it is a field of one (a category's products), so that its
 * cursors fit no other parent's list. It is not part of `key`: parents still batch together.
 */
export function productPageQuery(
  args: ProductListArgs,
  search: ProductSearch | null = null,
  parent: string | null = null,
  readsMore = true,
): ProductPageQuery {
  const order = resolveProductOrder(args.orderBy); // its direction defaults by field
  let scope: string | undefined;
  const scopeOf = (): string => (scope ??= productListScope(parent, order, args.filter, search));
  const page = toPageRequest(args, scopeOf);
  const sort = new ProductSort(order, page.backward, search);
  const where = (): ObjectQuery<Product> => {
    const filter = productFilterWhere(args.filter);
    return search ? { $and: [filter, searchCondition(search)] } : filter;
  };
  const pageWhere = (): ObjectQuery<Product> =>
    page.cursor
      ? { $and: [where(), sort.after(page.cursor, page.backward ? 'before' : 'after')] }
      : where();
  pageWhere(); // input errors (filter, cursor) surface now, before any statement
  const filterKey = JSON.stringify([args.filter ?? null, search]);
  const key = JSON.stringify([filterKey, order, page, readsMore]);
  return { where, pageWhere, sort, page, readsMore, search, filterKey, key, scope: scopeOf };
}

/**
 * The scope of a product list's cursors: the list (its parent), order, filter and search, so a
 * cursor of one list is refused by any other (exported for the benchmark's baseline, whose
 * cursors must be the server's).
 */
export function productListScope(
  parent: string | null,
  order: ResolvedProductOrder,
  filter: ProductFilter | null | undefined,
  search: ProductSearch | null,
): string {
  return cursorScope([
    'product',
    parent,
    order.field,
    order.direction,
    canonicalFilter(filter),
    search && search.text,
  ]);
}

/** Turns the `size + 1` rows read for a page into the connection a client sees. */
export function toProductConnection(
  rows: ProductView[],
  query: ProductPageQuery,
  countTotal: () => Promise<number>,
): ConnectionData<ProductView> {
  const { sort, scope } = query;
  const page = slicePage(rows, query.page, (p) => encodeCursor(scope(), sort.cursorOf(p)));
  return { ...page, countTotal };
}

/** One page of all products: one SELECT, plus a COUNT only if `totalCount` is selected. */
export async function findProductPage(
  em: EntityManager,
  loaders: Loaders,
  query: ProductPageQuery,
): Promise<ConnectionData<ProductView>> {
  const rows = await readPage(em, loaders, query);
  // A product on this page is not read again for `Review.product` on the same response.
  for (const product of rows) loaders.productById.prime(product.id, product);
  return toProductConnection(rows, query, () => em.count(Product, query.where()));
}

async function readPage(
  em: EntityManager,
  loaders: Loaders,
  query: ProductPageQuery,
): Promise<ProductView[]> {
  const { sql, bindings } = pageStatement(em, query);
  const rows = await selectRows<ProductAndCategoryRow & { relevance?: number }>(em, sql, bindings);
  const products = productViews(rows, loaders.categoryById);
  if (query.sort.byRelevance) {
    products.forEach((product, i) => query.sort.ranks.set(product, rows[i]!.relevance!));
  }
  return products;
}

/** Each recent product list's page SELECT, rendered once (RenderedStatements). */
const pageStatements = new RenderedStatements();

function pageStatement(em: EntityManager, query: ProductPageQuery): RenderedStatement {
  return pageStatements.get(query.key, () => {
    const { sort, pageWhere, page } = query;
    // RELEVANCE: the rank is selected with each row, for its cursor.
    const relevance = sort.relevanceSelect('p');
    const withCategory = productAndCategory('p');
    const columns: RawQueryFragment = raw(withCategory.columns);
    return em
      .createQueryBuilder(Product, 'p')
      .select(relevance ? [columns, relevance] : [columns])
      .where(pageWhere())
      .orderBy(sort.orderBy())
      .limit(query.readsMore ? page.size + 1 : page.size)
      .getKnexQuery()
      .joinRaw(withCategory.join)
      .toSQL();
  });
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

/**
 * The filter as productFilterWhere reads it, in a fixed shape: fields in one order, absent and
 * null alike, text trimmed (blank is no condition), ids and prices by value ("010.50" is 10.5).
 * Two filters the server treats alike give the same cursor scope. Text is kept as typed:
 * ILIKE's case folding is PostgreSQL's, and a scope that differs only refuses a cursor.
 */
function canonicalFilter(filter: ProductFilter | null = null): unknown[] {
  filter ??= {};
  // parseId: null for an id beyond int4, which matches nothing, like id 0 would.
  const categoryId =
    filter.categoryId == null ? null : (parseId('filter.categoryId', filter.categoryId) ?? 0);
  return [
    filter.text?.trim() || null,
    categoryId,
    filter.categorySlug ?? null,
    canonicalDecimal(filter.minPrice),
    canonicalDecimal(filter.maxPrice),
    filter.inStock ?? null,
  ];
}

/** A Decimal scalar's text by value: no leading zeros, no trailing fraction zeros, no "-0". */
function canonicalDecimal(text: string | null | undefined): string | null {
  if (text == null) return null;
  const negative = text.startsWith('-');
  const [whole = '0', fraction = ''] = (negative ? text.slice(1) : text).split('.');
  const digits = whole.replace(/^0+(?=\d)/, '');
  const decimals = fraction.replace(/0+$/, '');
  const value = decimals ? `${digits}.${decimals}` : digits;
  return negative && value !== '0' ? `-${value}` : value;
}

/** LIKE treats % and _ as wildcards; a shopper typing "50%" means the characters. */
function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`);
}
