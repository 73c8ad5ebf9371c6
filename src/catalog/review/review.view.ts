import { ReadModel } from '../read-model';
import { Review } from './review.entity';

/** What the read path selects of a review: its author's account id is for writes only. */
export const reviewReadModel = new ReadModel(Review, { omit: ['authorId'] });

/** A review as resolvers serve it (see ReadModel); `Review.product` loads by `productId`. */
export const ReviewView = reviewReadModel.View;
export type ReviewView = InstanceType<typeof ReviewView>;
export type ReviewRow = ConstructorParameters<typeof ReviewView>[0];

export const reviewColumns = (r: string): string => reviewReadModel.columns(r);
