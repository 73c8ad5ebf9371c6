import { ObjectType } from 'type-graphql';
import { ConnectionType } from '../../shared/connection';
import { Review } from './review.entity';
import type { ReviewView } from './review.view';

@ObjectType({
  description: "A page of a product's reviews, newest first (Relay connection).",
  simpleResolvers: true,
})
export class ReviewConnection extends ConnectionType<ReviewView>(Review) {}
