import { OptionalProps, Entity, PrimaryKey, Property, Unique } from '@mikro-orm/postgresql';
import { Field, ID, ObjectType } from 'type-graphql';
import { timestampColumn } from '../../shared/timestamp';

@ObjectType({
  description: 'A group of products, addressed by a unique slug.',
  simpleResolvers: true,
})
@Entity()
export class Category {
  /** Filled in by defaults, hooks or triggers: not required when creating one. */
  [OptionalProps]?: 'createdAt';

  @Field(() => ID, { description: 'Opaque identifier.' })
  @PrimaryKey({ type: 'integer' })
  id!: number;

  @Field({ description: 'URL-friendly unique name, e.g. "audio".' })
  @Property({ type: 'string', length: 64 })
  @Unique()
  slug!: string;

  @Field({ description: 'Display name.' })
  @Property({ type: 'string', length: 120 })
  name!: string;

  @Property(timestampColumn())
  createdAt!: Date;
}
