import { Field, InputType } from 'type-graphql';
import { columnLength, MaxChars } from '../../graphql/input-limits';
import { IsName, IsSlug } from '../../shared/validators';
import { Category } from './category.entity';

const SLUG = columnLength(Category, 'slug');
const NAME = columnLength(Category, 'name');

@InputType({ description: 'A new category.' })
export class CreateCategoryInput {
  @Field({ description: 'Unique, lower-case words joined by dashes, e.g. "garden-tools".' })
  @IsSlug(SLUG)
  @MaxChars(SLUG)
  slug!: string;

  @Field({ description: `Display name, 1-${NAME} characters; surrounding spaces are dropped.` })
  @IsName(NAME)
  @MaxChars(NAME)
  name!: string;
}

@InputType({ description: 'Changes to a category; fields left out stay as they are.' })
export class UpdateCategoryInput {
  @Field(() => String, { nullable: true, description: 'New unique slug.' })
  @IsSlug(SLUG)
  @MaxChars(SLUG)
  slug?: string;

  @Field(() => String, { nullable: true, description: 'New display name.' })
  @IsName(NAME)
  @MaxChars(NAME)
  name?: string;
}
