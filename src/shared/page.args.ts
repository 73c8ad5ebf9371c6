import { ArgsType, Field, Int } from 'type-graphql';
import { MaxChars } from '../graphql/input-limits';
import { DEFAULT_PAGE_SIZE, MAX_CURSOR_LENGTH, MAX_PAGE_SIZE } from './pagination';

@ArgsType()
export class ForwardPageArgs {
  @Field(() => Int, {
    nullable: true,
    description: `Page size, 0–${MAX_PAGE_SIZE} (default ${DEFAULT_PAGE_SIZE}); larger is an error, not a silent clamp.`,
  })
  first?: number | null;

  @Field(() => String, { nullable: true, description: 'Start after the edge with this cursor.' })
  @MaxChars(MAX_CURSOR_LENGTH)
  after?: string | null;
}

@ArgsType()
export class PageArgsType extends ForwardPageArgs {
  @Field(() => Int, {
    nullable: true,
    description: `Page size when paging backward, 0–${MAX_PAGE_SIZE}.`,
  })
  last?: number | null;

  @Field(() => String, { nullable: true, description: 'End before the edge with this cursor.' })
  @MaxChars(MAX_CURSOR_LENGTH)
  before?: string | null;
}
