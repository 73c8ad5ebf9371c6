import { Field, ID, InputType, registerEnumType } from 'type-graphql';
import { DecimalScalar } from '../../shared/decimal.scalar';

export enum ProductOrderField {
  NAME = 'NAME',
  PRICE = 'PRICE',
  CREATED_AT = 'CREATED_AT',
  RATING = 'RATING',
}

export enum OrderDirection {
  ASC = 'ASC',
  DESC = 'DESC',
}

registerEnumType(ProductOrderField, {
  name: 'ProductOrderField',
  description: 'What to sort products by. Ties are always broken by id, so paging is stable.',
  valuesConfig: {
    NAME: { description: 'Name, in the database collation.' },
    PRICE: { description: 'Unit price.' },
    CREATED_AT: { description: 'Creation time.' },
    RATING: { description: 'Average rating; products without reviews rank lowest.' },
  },
});

registerEnumType(OrderDirection, {
  name: 'OrderDirection',
  description: 'Sort direction.',
  valuesConfig: {
    ASC: { description: 'Smallest first.' },
    DESC: { description: 'Largest first.' },
  },
});

@InputType({ description: 'Narrows a product list; all given conditions must hold.' })
export class ProductFilter {
  @Field(() => String, {
    nullable: true,
    description: 'Case-insensitive text that the name or the description contains.',
  })
  text?: string | null;

  @Field(() => ID, { nullable: true, description: 'Only products in this category.' })
  categoryId?: string | null;

  @Field(() => String, {
    nullable: true,
    description: 'Only products in the category with this slug.',
  })
  categorySlug?: string | null;

  @Field(() => DecimalScalar, { nullable: true, description: 'Lowest price, inclusive.' })
  minPrice?: string | null;

  @Field(() => DecimalScalar, { nullable: true, description: 'Highest price, inclusive.' })
  maxPrice?: string | null;

  @Field(() => Boolean, {
    nullable: true,
    description: 'true: only products with stock; false: only sold-out products.',
  })
  inStock?: boolean | null;
}

@InputType({ description: 'How to sort a product list.' })
export class ProductOrder {
  @Field(() => ProductOrderField, { description: 'The sort key.' })
  field!: ProductOrderField;

  @Field(() => OrderDirection, { defaultValue: OrderDirection.ASC, description: 'The direction.' })
  direction: OrderDirection = OrderDirection.ASC;
}

export const DEFAULT_PRODUCT_ORDER: ProductOrder = {
  field: ProductOrderField.CREATED_AT,
  direction: OrderDirection.DESC,
};
