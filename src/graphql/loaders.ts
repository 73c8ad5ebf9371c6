import type { EntityManager } from '@mikro-orm/postgresql';
import {
  createCategoryCountLoader,
  createCategoryPageLoader,
  createSearchHighlightLoader,
} from '../catalog/product/product.loaders';
import { createReviewPageLoader } from '../catalog/review/review.loaders';

/**
 * The DataLoaders of one request, bound to that request's EntityManager. Created with the
 * context and dropped with it: their caches never outlive the request, so they never serve
 * another request's data. References (product.category, review.product) need none: MikroORM
 * batches `Reference.load()` itself (`dataloader` in the ORM options).
 */
export function createLoaders(em: EntityManager) {
  return {
    categoryPage: createCategoryPageLoader(em),
    categoryCount: createCategoryCountLoader(em),
    reviewPage: createReviewPageLoader(em),
    searchHighlight: createSearchHighlightLoader(em),
  };
}

export type Loaders = ReturnType<typeof createLoaders>;
