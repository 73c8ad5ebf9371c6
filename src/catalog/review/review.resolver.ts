import { FieldResolver, Resolver, Root } from 'type-graphql';
import { Product } from '../product/product.entity';
import { Review } from './review.entity';

@Resolver(() => Review)
export class ReviewResolver {
  @FieldResolver(() => Product, { description: 'The product reviewed.' })
  product(@Root() review: Review): Promise<Product> {
    // Batched across the response by MikroORM's reference loader; usually already in the
    // identity map, since reviews are reached through their product.
    return review.product.loadOrFail();
  }
}
