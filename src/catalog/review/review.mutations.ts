import { Arg, Authorized, Ctx, ID, Mutation, Resolver, UseMiddleware } from 'type-graphql';
import type { Context } from '../../graphql/context';
import { FreshLoadersAfterWrite } from '../../graphql/fresh-loaders.middleware';
import { Review } from './review.entity';
import { reviewReadModel, type ReviewView } from './review.view';
import { AddReviewInput } from './review.inputs';
import { addReview, deleteReview } from './review.writes';

@Resolver(() => Review)
@UseMiddleware(FreshLoadersAfterWrite)
@Authorized()
export class ReviewMutations {
  @Mutation(() => Review, {
    description:
      'Reviews a product as the signed-in user; its reviewCount and averageRating change at once.',
  })
  addReview(
    @Arg('input', () => AddReviewInput, { description: 'What to write.' }) input: AddReviewInput,
    @Ctx() { em, viewer }: Context,
  ): Promise<ReviewView> {
    return addReview(em, viewer!, input).then(reviewReadModel.of);
  }

  @Mutation(() => ID, {
    description: 'Deletes a review: its author or an admin only. Returns its id.',
  })
  deleteReview(
    @Arg('id', () => ID, { description: 'The review to delete.' }) id: string,
    @Ctx() { em, viewer }: Context,
  ): Promise<string> {
    return deleteReview(em, viewer!, id);
  }
}
