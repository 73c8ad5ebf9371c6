import {
  OptionalProps,
  Check,
  Entity,
  Index,
  ManyToOne,
  PrimaryKey,
  Property,
  type Ref,
} from '@mikro-orm/postgresql';
import { GraphQLDateTime } from 'graphql-scalars';
import { Field, ID, Int, ObjectType } from 'type-graphql';
import { Product } from '../product/product.entity';
import { timestampColumn } from '../../shared/timestamp';

@ObjectType({
  description: "A shopper's rating of a product, with optional text.",
  simpleResolvers: true,
})
@Entity()
@Check({ name: 'review_rating_check', expression: 'rating >= 1 and rating <= 5' })
// Serves the foreign key and "the newest N reviews of each product" in one index.
@Index({
  name: 'review_product_id_created_at_id_index',
  expression:
    'create index "review_product_id_created_at_id_index" on "review" ("product_id", "created_at" desc, "id" desc)',
})
export class Review {
  /** Filled in by defaults, hooks or triggers: not required when creating one. */
  [OptionalProps]?: 'createdAt';

  @Field(() => ID, { description: 'Opaque identifier.' })
  @PrimaryKey({ type: 'integer' })
  id!: number;

  // Exposed through ReviewQueries.product, which batches the lookups.
  @ManyToOne(() => Product, { ref: true, deleteRule: 'cascade', index: false })
  product!: Ref<Product>;

  @Field(() => Int, { description: 'Stars, from 1 to 5.' })
  @Property({ type: 'smallint' })
  rating!: number;

  @Field(() => String, { nullable: true, description: 'Short headline.' })
  @Property({ type: 'string', length: 200, nullable: true })
  title?: string | null;

  @Field(() => String, { nullable: true, description: 'The review text.' })
  @Property({ type: 'text', nullable: true })
  body?: string | null;

  @Field({ description: 'Who wrote it: the display name of their account.' })
  @Property({ type: 'string', length: 120 })
  author!: string;

  /** The author's account (the token subject); null for reviews written outside the API. */
  @Property({ type: 'string', length: 255, nullable: true })
  authorId?: string | null;

  @Field(() => GraphQLDateTime, { description: 'When it was written.' })
  @Property(timestampColumn())
  createdAt!: Date;
}
