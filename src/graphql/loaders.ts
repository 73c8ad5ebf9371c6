import type { EntityManager } from '@mikro-orm/postgresql';
import { createCategoryLoader } from '../catalog/category/category.loaders';
import {
  createCategoryCountLoader,
  createCategoryPageLoader,
  createProductLoader,
  createSearchHighlightLoader,
} from '../catalog/product/product.loaders';
import { createReviewPageLoader } from '../catalog/review/review.loaders';

/**
 * The DataLoaders of one request, bound to that request's EntityManager. Created with the
 * context and dropped with it: their caches never outlive the request, so they never serve
 * another request's data. They are the read side of the request's session: what one resolver
 * read, another on the same response gets from them without a second statement.
 */
export function createLoaders(em: EntityManager) {
  const categoryById = createCategoryLoader(em);
  return {
    productById: createProductLoader(em, categoryById),
    categoryById,
    categoryPage: createCategoryPageLoader(em),
    categoryCount: createCategoryCountLoader(em),
    reviewPage: createReviewPageLoader(em),
    searchHighlight: createSearchHighlightLoader(em),
  };
}

export type Loaders = ReturnType<typeof createLoaders>;
