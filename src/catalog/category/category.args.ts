import { ArgsType, Field, ID } from 'type-graphql';
import { MaxChars } from '../../graphql/input-limits';

/** Query.category: by id or by slug. An @ArgsType so that `slug` can carry its own cap. */
@ArgsType()
export class CategoryLookupArgs {
  @Field(() => ID, { nullable: true, description: 'Its id.' })
  id?: string | null;

  @Field(() => String, { nullable: true, description: 'Its slug (at most 64 characters).' })
  @MaxChars(64)
  slug?: string | null;
}
