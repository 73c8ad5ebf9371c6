import { ArgsType, Field } from 'type-graphql';
import { PageArgsType } from '../../shared/page.args';
import { ProductFilter, ProductOrder } from './product.inputs';

@ArgsType()
export class ProductListArgsType extends PageArgsType {
  @Field(() => ProductFilter, {
    nullable: true,
    description: 'Conditions every product must meet.',
  })
  filter?: ProductFilter | null;

  @Field(() => ProductOrder, {
    nullable: true,
    description: 'Sort order; default newest first (CREATED_AT DESC).',
  })
  orderBy?: ProductOrder | null;
}
