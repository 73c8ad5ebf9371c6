import type { GraphQLResolveInfo } from 'graphql';
import { Args, Ctx, FieldResolver, Info, Int, Query, Resolver, Root } from 'type-graphql';
import type { Context } from '../../graphql/context';
import { CategoryLookupArgs } from './category.args';
import { BadUserInputError } from '../../shared/errors';
import { parseId } from '../../shared/ids';
import { selectsPageInfo } from '../../shared/selection';
import { ProductListArgsType } from '../product/product.args';
import { ProductConnection } from '../product/product.connection';
import { productPageQuery, toProductConnection } from '../product/product.reads';
import { Category } from './category.entity';
import { findCategories, findCategoryBySlug } from './category.reads';
import type { CategoryView } from './category.view';

@Resolver(() => Category)
export class CategoryQueries {
  @Query(() => [Category], { description: 'Every category, by name.' })
  categories(@Ctx() { em, loaders }: Context): Promise<CategoryView[]> {
    return findCategories(em, loaders);
  }

  @Query(() => Category, {
    nullable: true,
    description: 'One category by id or by slug (exactly one of them); null if there is none.',
  })
  async category(
    @Args(() => CategoryLookupArgs) { id, slug }: CategoryLookupArgs,
    @Ctx() { em, loaders }: Context,
  ): Promise<CategoryView | null> {
    if ((id == null) === (slug == null)) {
      throw new BadUserInputError('Pass exactly one of id and slug', [
        { field: 'id', constraint: 'exactlyOne', message: 'give id or slug' },
        { field: 'slug', constraint: 'exactlyOne', message: 'give id or slug' },
      ]);
    }
    if (slug != null) return findCategoryBySlug(em, slug);
    const categoryId = parseId('id', id!);
    return categoryId === null ? null : loaders.categoryById.load(categoryId);
  }

  @FieldResolver(() => ProductConnection, {
    description: 'Its products, filtered, sorted and paged.',
  })
  async products(
    @Root() category: CategoryView,
    @Args(() => ProductListArgsType) args: ProductListArgsType,
    @Ctx() { loaders }: Context,
    @Info() info: GraphQLResolveInfo,
  ): Promise<ProductConnection> {
    const parent = `category:${category.id}`;
    const query = productPageQuery(args, null, parent, selectsPageInfo(info));
    const key = { categoryId: category.id, query };
    const rows = await loaders.categoryPage.load(key);
    return ProductConnection.from(
      toProductConnection(rows, query, () => loaders.categoryCount.load(key)),
    );
  }

  @FieldResolver(() => Int, { description: 'How many products it has.' })
  productCount(@Root() category: CategoryView, @Ctx() { loaders }: Context): Promise<number> {
    return loaders.categoryCount.load({ categoryId: category.id, query: productPageQuery({}) });
  }
}
