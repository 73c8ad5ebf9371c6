import { ArgsType, Field, ID } from 'type-graphql';
import { columnLength, MaxChars } from '../../graphql/input-limits';
import { Category } from './category.entity';

const SLUG = columnLength(Category, 'slug');

/** Query.category: by id or by slug. An @ArgsType so that `slug` can carry its own cap. */
@ArgsType()
export class CategoryLookupArgs {
  @Field(() => ID, { nullable: true, description: 'Its id.' })
  id?: string | null;

  @Field(() => String, { nullable: true, description: `Its slug (at most ${SLUG} characters).` })
  @MaxChars(SLUG)
  slug?: string | null;
}
