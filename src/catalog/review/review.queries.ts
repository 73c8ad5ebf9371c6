import { Ctx, FieldResolver, Resolver, Root } from 'type-graphql';
import type { Context } from '../../graphql/context';
import { Product } from '../product/product.entity';
import type { ProductView } from '../product/product.view';
import { Review } from './review.entity';
import type { ReviewView } from './review.view';

@Resolver(() => Review)
export class ReviewQueries {
  @FieldResolver(() => Product, { description: 'The product reviewed.' })
  async product(@Root() review: ReviewView, @Ctx() { loaders }: Context): Promise<ProductView> {
    // Batched across the response; usually primed already, since reviews are reached through
    // their product's page.
    const product = await loaders.productById.load(review.productId);
    // A review's product is a foreign key with ON DELETE CASCADE: it cannot be missing.
    if (!product) throw new Error(`Review ${review.id}: product ${review.productId} is missing`);
    return product;
  }
}
