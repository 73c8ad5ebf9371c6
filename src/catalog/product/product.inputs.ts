import { IsOptional, Min } from 'class-validator';
import { Field, ID, InputType, Int, registerEnumType } from 'type-graphql';
import { columnLength, MaxChars } from '../../graphql/input-limits';
import { DecimalScalar } from '../../shared/decimal.scalar';
import { IsMoney, IsName, IsSku } from '../../shared/validators';
import { Category } from '../category/category.entity';
import { Product } from './product.entity';

const SKU = columnLength(Product, 'sku');
const NAME = columnLength(Product, 'name');

export enum ProductOrderField {
  NAME = 'NAME',
  PRICE = 'PRICE',
  CREATED_AT = 'CREATED_AT',
  RATING = 'RATING',
  RELEVANCE = 'RELEVANCE',
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
    RELEVANCE: {
      description: 'How well the product matches `search` (which it needs); DESC is best first.',
    },
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
  @MaxChars(200)
  text?: string | null;

  @Field(() => ID, { nullable: true, description: 'Only products in this category.' })
  categoryId?: string | null;

  @Field(() => String, {
    nullable: true,
    description: 'Only products in the category with this slug.',
  })
  @MaxChars(columnLength(Category, 'slug'))
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

  @Field(() => OrderDirection, {
    nullable: true,
    description:
      'The direction. Left out, it follows the field: DESC (best first) for RELEVANCE and RATING, ASC for NAME, PRICE and CREATED_AT. (RELEVANCE and RATING used to default to ASC.)',
  })
  direction?: OrderDirection | null;
}

/** An order with its direction decided. */
export interface ResolvedProductOrder {
  field: ProductOrderField;
  direction: OrderDirection;
}

/**
 * The direction of a field when the client names none: what a shopper means by "sort by" it.
 * Nobody wants the least relevant or the worst rated first; names, prices and dates read
 * naturally upwards (and kept their old default).
 */
export const DEFAULT_DIRECTION: Record<ProductOrderField, OrderDirection> = {
  NAME: OrderDirection.ASC,
  PRICE: OrderDirection.ASC,
  CREATED_AT: OrderDirection.ASC,
  RATING: OrderDirection.DESC,
  RELEVANCE: OrderDirection.DESC,
};

/** Without orderBy: newest first. */
export const DEFAULT_PRODUCT_ORDER: ResolvedProductOrder = {
  field: ProductOrderField.CREATED_AT,
  direction: OrderDirection.DESC,
};

export function resolveProductOrder(order: ProductOrder | null | undefined): ResolvedProductOrder {
  if (!order) return DEFAULT_PRODUCT_ORDER;
  return { field: order.field, direction: order.direction ?? DEFAULT_DIRECTION[order.field] };
}

@InputType({ description: 'A new product.' })
export class CreateProductInput {
  @Field({
    description: `Unique stock-keeping unit: 3-${SKU} upper-case letters, digits or dashes.`,
  })
  @IsSku(SKU)
  @MaxChars(SKU)
  sku!: string;

  @Field({ description: `Display name, 1-${NAME} characters; surrounding spaces are dropped.` })
  @IsName(NAME)
  @MaxChars(NAME)
  name!: string;

  @Field(() => String, { nullable: true, description: 'Longer text, up to 5000 characters.' })
  @IsOptional()
  @MaxChars(5000)
  description?: string | null;

  @Field(() => DecimalScalar, { description: 'Unit price: at least 0, at most 2 decimals.' })
  @IsMoney()
  price!: string;

  @Field(() => Int, { defaultValue: 0, description: 'Units on hand, at least 0.' })
  @Min(0)
  stock: number = 0;

  @Field(() => ID, { nullable: true, description: 'Category to list it in.' })
  @IsOptional()
  categoryId?: string | null;
}

@InputType({ description: 'Changes to a product; fields left out stay as they are.' })
export class UpdateProductInput {
  @Field(() => String, { nullable: true, description: 'New unique SKU.' })
  @IsSku(SKU)
  @MaxChars(SKU)
  sku?: string;

  @Field(() => String, { nullable: true, description: 'New display name.' })
  @IsName(NAME)
  @MaxChars(NAME)
  name?: string;

  @Field(() => String, { nullable: true, description: 'New description; null removes it.' })
  @IsOptional()
  @MaxChars(5000)
  description?: string | null;

  @Field(() => DecimalScalar, { nullable: true, description: 'New unit price.' })
  @IsMoney()
  price?: string;

  @Field(() => Int, { nullable: true, description: 'New stock level (see also adjustStock).' })
  @Min(0)
  stock?: number;

  @Field(() => ID, {
    nullable: true,
    description: 'New category; null removes it from its category.',
  })
  @IsOptional()
  categoryId?: string | null;

  @Field(() => Int, {
    nullable: true,
    description:
      'The version the change is based on: if the product has changed since, nothing is written and the result is CONFLICT.',
  })
  @IsOptional()
  @Min(1)
  expectedVersion?: number | null;
}
