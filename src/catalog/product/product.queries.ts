import type { GraphQLResolveInfo } from 'graphql';
import { Arg, Args, Ctx, FieldResolver, ID, Info, Query, Resolver, Root } from 'type-graphql';
import type { Context } from '../../graphql/context';
import { ForwardPageArgs } from '../../shared/page.args';
import { selectsPageInfo } from '../../shared/selection';
import { Category } from '../category/category.entity';
import type { CategoryView } from '../category/category.view';
import { productReviewPage } from '../review/review.reads';
import { ProductSearchArgsType } from './product.args';
import { ReviewConnection } from '../review/review.connection';
import { ProductSearchConnection } from './product-search.connection';
import { Product } from './product.entity';
import { findProduct, findProductPage, searchProductsQuery } from './product.reads';
import type { ProductView } from './product.view';

@Resolver(() => Product)
export class ProductQueries {
  @Query(() => Product, {
    nullable: true,
    description: 'One product by id; null if there is none.',
  })
  product(
    @Arg('id', () => ID, { description: 'The product to read.' }) id: string,
    @Ctx() { loaders }: Context,
  ): ProductView | null | Promise<ProductView | null> {
    return findProduct(loaders, id);
  }

  @Query(() => ProductSearchConnection, {
    description: 'Products, searched, filtered, sorted and paged, with counts and facets.',
  })
  async products(
    @Args(() => ProductSearchArgsType) args: ProductSearchArgsType,
    @Ctx() { em, loaders }: Context,
  ): Promise<ProductSearchConnection> {
    const query = searchProductsQuery(args);
    return ProductSearchConnection.from(
      em,
      loaders,
      query,
      await findProductPage(em, loaders, query),
    );
  }

  @FieldResolver(() => Category, { nullable: true, description: 'The category it is listed in.' })
  category(
    @Root() product: ProductView,
    @Ctx() { loaders }: Context,
  ): CategoryView | null | Promise<CategoryView | null> {
    // Batched with every other product's category on the response.
    return product.categoryId === null ? null : loaders.categoryById.load(product.categoryId);
  }

  @FieldResolver(() => ReviewConnection, { description: 'Its reviews, newest first.' })
  async reviews(
    @Root() product: ProductView,
    @Args(() => ForwardPageArgs) args: ForwardPageArgs,
    @Ctx() { loaders }: Context,
    @Info() info: GraphQLResolveInfo,
  ): Promise<ReviewConnection> {
    const page = await productReviewPage(loaders, product, args, selectsPageInfo(info));
    return ReviewConnection.from(page);
  }
}
