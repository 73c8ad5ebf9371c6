import { Max, Min } from 'class-validator';
import { Field, ID, InputType, Int } from 'type-graphql';
import { columnLength, MaxChars } from '../../graphql/input-limits';
import { Review } from './review.entity';

const TITLE = columnLength(Review, 'title');

@InputType({ description: 'A review by the signed-in user; the author comes from the token.' })
export class AddReviewInput {
  @Field(() => ID, { description: 'The product reviewed.' })
  productId!: string;

  @Field(() => Int, { description: 'Stars, from 1 to 5.' })
  @Min(1)
  @Max(5)
  rating!: number;

  @Field(() => String, {
    nullable: true,
    description: `Short headline, up to ${TITLE} characters.`,
  })
  @MaxChars(TITLE)
  title?: string | null;

  @Field(() => String, { nullable: true, description: 'The review text, up to 5000 characters.' })
  @MaxChars(5000)
  body?: string | null;
}
