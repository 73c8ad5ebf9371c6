import { Arg, Authorized, Ctx, ID, Int, Mutation, Resolver, UseMiddleware } from 'type-graphql';
import { ADMIN_ROLE } from '../../auth/viewer';
import type { Context } from '../../graphql/context';
import { FreshLoadersAfterWrite } from '../../graphql/fresh-loaders.middleware';
import { Product } from './product.entity';
import { productReadModel, type ProductView } from './product.view';
import { CreateProductInput, UpdateProductInput } from './product.inputs';
import { adjustStock, createProduct, deleteProduct, updateProduct } from './product.writes';

@Resolver(() => Product)
@UseMiddleware(FreshLoadersAfterWrite)
@Authorized(ADMIN_ROLE)
export class ProductMutations {
  @Mutation(() => Product, { description: 'Creates a product (admin). A taken sku is CONFLICT.' })
  createProduct(
    @Arg('input', () => CreateProductInput, { description: 'What to write.' })
    input: CreateProductInput,
    @Ctx() { em }: Context,
  ): Promise<ProductView> {
    return createProduct(em, input).then(productReadModel.of);
  }

  @Mutation(() => Product, {
    description:
      'Changes a product (admin); fields left out stay. Pass expectedVersion to refuse (CONFLICT) if it changed since.',
  })
  updateProduct(
    @Arg('id', () => ID, { description: 'The product to change.' }) id: string,
    @Arg('input', () => UpdateProductInput, { description: 'What to write.' })
    input: UpdateProductInput,
    @Ctx() { em }: Context,
  ): Promise<ProductView> {
    return updateProduct(em, id, input).then(productReadModel.of);
  }

  @Mutation(() => ID, { description: 'Deletes a product and its reviews (admin); returns its id.' })
  deleteProduct(
    @Arg('id', () => ID, { description: 'The product to delete.' }) id: string,
    @Ctx() { em }: Context,
  ): Promise<string> {
    return deleteProduct(em, id);
  }

  @Mutation(() => Product, {
    description:
      'Adds delta (negative to take) to the stock (admin). Never goes below zero, even under concurrent calls: too large a take is CONFLICT.',
  })
  adjustStock(
    @Arg('id', () => ID, { description: 'The product whose stock changes.' }) id: string,
    @Arg('delta', () => Int, { description: 'Units to add (or, negative, to take).' })
    delta: number,
    @Ctx() { em }: Context,
  ): Promise<ProductView> {
    return adjustStock(em, id, delta).then(productReadModel.of);
  }
}
