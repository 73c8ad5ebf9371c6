import { Arg, Authorized, Ctx, ID, Mutation, Resolver, UseMiddleware } from 'type-graphql';
import { ADMIN_ROLE } from '../../auth/viewer';
import type { Context } from '../../graphql/context';
import { FreshLoadersAfterWrite } from '../../graphql/fresh-loaders.middleware';
import { Category } from './category.entity';
import { categoryReadModel, type CategoryView } from './category.view';
import { CreateCategoryInput, UpdateCategoryInput } from './category.inputs';
import { createCategory, deleteCategory, updateCategory } from './category.writes';

@Resolver(() => Category)
@UseMiddleware(FreshLoadersAfterWrite)
export class CategoryMutations {
  @Authorized(ADMIN_ROLE)
  @Mutation(() => Category, {
    description: 'Creates a category (admin). A taken slug is CONFLICT.',
  })
  createCategory(
    @Arg('input', () => CreateCategoryInput, { description: 'What to write.' })
    input: CreateCategoryInput,
    @Ctx() { em }: Context,
  ): Promise<CategoryView> {
    return createCategory(em, input).then(categoryReadModel.of);
  }

  @Authorized(ADMIN_ROLE)
  @Mutation(() => Category, { description: 'Changes a category (admin).' })
  updateCategory(
    @Arg('id', () => ID, { description: 'The category to change.' }) id: string,
    @Arg('input', () => UpdateCategoryInput, { description: 'What to write.' })
    input: UpdateCategoryInput,
    @Ctx() { em }: Context,
  ): Promise<CategoryView> {
    return updateCategory(em, id, input).then(categoryReadModel.of);
  }

  @Authorized(ADMIN_ROLE)
  @Mutation(() => ID, {
    description:
      'Deletes a category (admin) and returns its id. One that still has products is CONFLICT unless moveProductsTo or deleteProducts says where they go.',
  })
  deleteCategory(
    @Arg('id', () => ID, { description: 'The category to delete.' }) id: string,
    @Arg('moveProductsTo', () => ID, {
      nullable: true,
      description: 'Move its products to this category first.',
    })
    moveProductsTo: string | null,
    @Arg('deleteProducts', () => Boolean, {
      defaultValue: false,
      description: 'Delete its products (and their reviews) with it.',
    })
    deleteProducts: boolean,
    @Ctx() { em }: Context,
  ): Promise<string> {
    return deleteCategory(em, id, { moveProductsTo, deleteProducts });
  }
}
