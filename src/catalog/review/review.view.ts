import { epochMillis } from '../../shared/timestamp';
import type { Review } from './review.entity';

/** A review row as PostgreSQL returns it for reviewColumns. */
export interface ReviewRow {
  id: number;
  product_id: number;
  rating: number;
  title: string | null;
  body: string | null;
  author: string;
  /** Epoch milliseconds (see epochMillis). */
  created_at: number;
}

export const reviewColumns = (r: string): string =>
  `${r}.id, ${r}.product_id, ${r}.rating, ${r}.title, ${r}.body, ${r}.author, ` +
  `${epochMillis(`${r}.created_at`)} as created_at`;

/** A review as resolvers serve it: a plain snapshot of its row (see ProductView). */
export class ReviewView {
  readonly id: number;
  /** The product's id: `Review.product` loads the product itself, batched. */
  readonly productId: number;
  readonly rating: number;
  readonly title: string | null;
  readonly body: string | null;
  readonly author: string;
  readonly createdAt: Date;

  constructor(row: ReviewRow) {
    this.id = row.id;
    this.productId = row.product_id;
    this.rating = row.rating;
    this.title = row.title;
    this.body = row.body;
    this.author = row.author;
    this.createdAt = new Date(row.created_at);
  }

  /** A mutation's result: the entity as it was written. */
  static of(this: void, review: Review): ReviewView {
    return new ReviewView({
      id: review.id,
      product_id: review.product.id,
      rating: review.rating,
      title: review.title ?? null,
      body: review.body ?? null,
      author: review.author,
      created_at: review.createdAt.getTime(),
    });
  }
}
