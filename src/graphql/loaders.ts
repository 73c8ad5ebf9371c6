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
 *
 * Each is built on first use: an operation reads through one or two of them (a product by id
 * through one), and every request would otherwise pay for six, caches included.
 */
export class Loaders {
  private categoryByIdLoader?: ReturnType<typeof createCategoryLoader>;
  private productByIdLoader?: ReturnType<typeof createProductLoader>;
  private categoryPageLoader?: ReturnType<typeof createCategoryPageLoader>;
  private categoryCountLoader?: ReturnType<typeof createCategoryCountLoader>;
  private reviewPageLoader?: ReturnType<typeof createReviewPageLoader>;
  private searchHighlightLoader?: ReturnType<typeof createSearchHighlightLoader>;

  constructor(private readonly em: EntityManager) {}

  get categoryById() {
    return (this.categoryByIdLoader ??= createCategoryLoader(this.em));
  }

  /** Primes `categoryById` with the category each product is read with. */
  get productById() {
    return (this.productByIdLoader ??= createProductLoader(this.em, this.categoryById));
  }

  get categoryPage() {
    return (this.categoryPageLoader ??= createCategoryPageLoader(this.em));
  }

  get categoryCount() {
    return (this.categoryCountLoader ??= createCategoryCountLoader(this.em));
  }

  get reviewPage() {
    return (this.reviewPageLoader ??= createReviewPageLoader(this.em));
  }

  get searchHighlight() {
    return (this.searchHighlightLoader ??= createSearchHighlightLoader(this.em));
  }
}
