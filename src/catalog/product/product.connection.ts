import { ObjectType } from 'type-graphql';
import { ConnectionType } from '../../shared/connection';
import { Review } from '../review/review.entity';
import { Product } from './product.entity';
import type { ProductView } from './product.view';
import type { ReviewView } from '../review/review.view';

@ObjectType({ description: 'A page of products (Relay connection).', simpleResolvers: true })
export class ProductConnection extends ConnectionType<ProductView>(Product) {}

@ObjectType({
  description: "A page of a product's reviews, newest first (Relay connection).",
  simpleResolvers: true,
})
export class ReviewConnection extends ConnectionType<ReviewView>(Review) {}
