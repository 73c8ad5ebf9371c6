import { Field, InputType } from 'type-graphql';
import { MaxChars } from '../../graphql/input-limits';
import { IsName, IsSlug } from '../../shared/validators';

@InputType({ description: 'A new category.' })
export class CreateCategoryInput {
  @Field({ description: 'Unique, lower-case words joined by dashes, e.g. "garden-tools".' })
  @IsSlug()
  @MaxChars(64)
  slug!: string;

  @Field({ description: 'Display name, 1-120 characters; surrounding spaces are dropped.' })
  @IsName(120)
  @MaxChars(120)
  name!: string;
}

@InputType({ description: 'Changes to a category; fields left out stay as they are.' })
export class UpdateCategoryInput {
  @Field(() => String, { nullable: true, description: 'New unique slug.' })
  @IsSlug()
  @MaxChars(64)
  slug?: string;

  @Field(() => String, { nullable: true, description: 'New display name.' })
  @IsName(120)
  @MaxChars(120)
  name?: string;
}
