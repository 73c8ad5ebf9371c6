import { ArgsType, Field } from 'type-graphql';
import { MaxChars } from '../../graphql/input-limits';
import { PageArgsType } from '../../shared/page.args';
import { MAX_SEARCH_LENGTH } from './product.search';
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

@ArgsType()
export class ProductSearchArgsType extends ProductListArgsType {
  @Field(() => String, {
    nullable: true,
    description:
      'Full-text search in name, description and category name, with web search syntax ("exact phrase", -exclude, or). Finds near spellings when nothing matches exactly. Up to 200 characters; blank means no search.',
  })
  @MaxChars(MAX_SEARCH_LENGTH)
  search?: string | null;
}
