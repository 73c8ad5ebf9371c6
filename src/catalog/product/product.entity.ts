import {
  Check,
  OptionalProps,
  Entity,
  Index,
  ManyToOne,
  PrimaryKey,
  Property,
  type Ref,
  Unique,
} from '@mikro-orm/postgresql';
import { GraphQLDateTime } from 'graphql-scalars';
import { Field, Float, ID, Int, ObjectType } from 'type-graphql';
import { DecimalScalar } from '../../shared/decimal.scalar';
import { Category } from '../category/category.entity';
import { timestampColumn } from '../../shared/timestamp';

// simpleResolvers: plain fields are read by graphql-js itself, without a type-graphql wrapper per
// field and row (no field here has a middleware or a role); field resolvers are unaffected.
@ObjectType({ description: 'Something the catalog sells.', simpleResolvers: true })
@Entity()
@Check({ name: 'product_price_check', expression: 'price >= 0' })
@Check({ name: 'product_stock_check', expression: 'stock >= 0' })
// One index per sort order the API offers, each with the id tie-break the cursors use.
@Index({ name: 'product_name_id_index', properties: ['name', 'id'] })
@Index({ name: 'product_price_id_index', properties: ['price', 'id'] })
@Index({ name: 'product_created_at_id_index', properties: ['createdAt', 'id'] })
// A category's page in the default order (newest first); also serves the foreign key.
@Index({
  name: 'product_category_id_created_at_id_index',
  properties: ['category', 'createdAt', 'id'],
})
// The API's other orders within a category (test/default-orders.int.test.ts).
@Index({ name: 'product_category_id_name_id_index', properties: ['category', 'name', 'id'] })
@Index({ name: 'product_category_id_price_id_index', properties: ['category', 'price', 'id'] })
@Index({
  name: 'product_category_id_rating_average_id_index',
  expression:
    'create index "product_category_id_rating_average_id_index" on "product" ("category_id", "rating_average" asc nulls first, "id" asc)',
})
@Index({
  name: 'product_rating_average_id_index',
  expression:
    'create index "product_rating_average_id_index" on "product" ("rating_average" asc nulls first, "id" asc)',
})
// Full-text search (the vector is kept by the product_search_vector trigger, see the migration).
@Index({
  name: 'product_search_vector_index',
  expression: 'create index "product_search_vector_index" on "product" using gin ("search_vector")',
})
export class Product {
  /** Filled in by defaults, hooks or triggers: not required when creating one. */
  [OptionalProps]?:
    | 'stock'
    | 'reviewCount'
    | 'averageRating'
    | 'searchVector'
    | 'createdAt'
    | 'updatedAt'
    | 'version';

  @Field(() => ID, { description: 'Opaque identifier.' })
  @PrimaryKey({ type: 'integer' })
  id!: number;

  @Field({ description: 'Stock-keeping unit: unique, upper-case letters, digits and dashes.' })
  @Property({ type: 'string', length: 64 })
  @Unique()
  sku!: string;

  @Field({ description: 'Display name.' })
  @Property({ type: 'string', length: 200 })
  name!: string;

  @Field(() => String, { nullable: true, description: 'Longer text shown on the product page.' })
  @Property({ type: 'text', nullable: true })
  description?: string | null;

  @Field(() => DecimalScalar, { description: 'Unit price, exact to the cent.' })
  @Property({ type: 'decimal', precision: 12, scale: 2 })
  price!: string;

  @Field(() => Int, { description: 'Units on hand; never negative.' })
  @Property({ type: 'integer', default: 0 })
  stock: number = 0;

  // Exposed through ProductQueries.category, which batches the lookups.
  @ManyToOne(() => Category, { ref: true, nullable: true, deleteRule: 'restrict', index: false })
  category?: Ref<Category> | null;

  /**
   * Maintained by the `review_rollup` trigger (see the migrations), so that rating order has an
   * index and the counts are right whoever writes the reviews, the API or plain SQL.
   */
  @Field(() => Int, { description: 'How many reviews the product has.' })
  @Property({ type: 'integer', default: 0 })
  reviewCount: number = 0;

  /** Mean rating as exact numeric text ("4.3333"), null without reviews; see `reviewCount`. */
  @Property({ type: 'decimal', precision: 5, scale: 4, nullable: true })
  ratingAverage?: string | null;

  @Field(() => Float, { nullable: true, description: 'Mean rating (1–5); null without reviews.' })
  get averageRating(): number | null {
    return this.ratingAverage == null ? null : Number(this.ratingAverage);
  }

  /**
   * Name (weight A), description (B) and category name (C) for full-text search. Kept by a
   * trigger, not a generated column: a generated column cannot read the category's name.
   * Never selected by default and never written by the ORM.
   */
  @Property({ type: 'unknown', columnType: 'tsvector', nullable: true, lazy: true, hidden: true })
  searchVector?: unknown;

  @Field(() => GraphQLDateTime, { description: 'When it was created.' })
  @Property(timestampColumn())
  createdAt!: Date;

  @Field(() => GraphQLDateTime, { description: 'When it last changed.' })
  @Property({ ...timestampColumn(), onUpdate: () => new Date() })
  updatedAt!: Date;

  @Field(() => Int, {
    description: 'Incremented on every change; pass it back for optimistic locking.',
  })
  @Property({ type: 'integer', version: true })
  version!: number;
}
