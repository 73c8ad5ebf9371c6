import type { EntityManager } from '@mikro-orm/postgresql';
import { isAdmin, type Viewer } from '../../auth/viewer';
import { ForbiddenError } from '../../shared/errors';
import { findByIdOrFail } from '../../shared/ids';
import { inTransaction } from '../../shared/unit-of-work';
import { Product } from '../product/product.entity';
import { Review } from './review.entity';
import type { AddReviewInput } from './review.inputs';

/** The author is the signed-in viewer, never an input: nobody can review in another's name. */
export function addReview(
  em: EntityManager,
  viewer: Viewer,
  input: AddReviewInput,
): Promise<Review> {
  return inTransaction(em, async (tx) => {
    const product = await findByIdOrFail(tx, Product, input.productId, 'input.productId');
    const review = tx.create(Review, {
      product,
      rating: input.rating,
      title: input.title ?? null,
      body: input.body ?? null,
      author: viewer.name,
      authorId: viewer.id,
    });
    await tx.flush();
    // The rollup trigger has just changed reviewCount and averageRating: read them back.
    await tx.refresh(product);
    return review;
  });
}

/** Authors delete their own reviews; admins delete any. */
export function deleteReview(em: EntityManager, viewer: Viewer, id: string): Promise<string> {
  return inTransaction(em, async (tx) => {
    const review = await findByIdOrFail(tx, Review, id);
    if (review.authorId !== viewer.id && !isAdmin(viewer)) {
      throw new ForbiddenError('Only its author or an admin may delete a review');
    }
    tx.remove(review);
    return String(review.id);
  });
}
