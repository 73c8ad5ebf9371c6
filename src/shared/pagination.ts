import { createHash } from 'node:crypto';
import { Field, ObjectType } from 'type-graphql';
import { BadUserInputError } from './errors';

export const DEFAULT_PAGE_SIZE = 20;
export const MAX_PAGE_SIZE = 100;

export interface PageArgs {
  first?: number | null;
  after?: string | null;
  last?: number | null;
  before?: string | null;
}

/** Where a page starts: the sort value and id of the row just outside it. */
export interface CursorPosition {
  value: string | null;
  id: number;
}

export interface PageRequest {
  /** `backward` pages (last/before) are read in reverse order and flipped back. */
  backward: boolean;
  size: number;
  cursor: CursorPosition | null;
}

/**
 * Longer than any cursor this API writes (a 200-character name, escaped, and a digest, in
 * base64): the `after`/`before` arguments' cap (page.args.ts), and a bigger one is refused
 * before it is decoded.
 */
export const MAX_CURSOR_LENGTH = 2048;

/** A lone UTF-16 surrogate: no text a row holds (PostgreSQL stores UTF-8) contains one. */
const LONE_SURROGATE = /\p{Cs}/u;

/**
 * The scope of a list's cursors: a digest of everything that makes the list what it is (its
 * kind, parent, order, filter, search), as canonical values. A SHA-256 of those values rather
 * than a keyed MAC: cursors are not secret or signed (a client may forge one, and every value in
 * it is checked before use); the digest only tells lists apart, the same in every process and
 * after restarts. 96 bits: an accidental match between two lists is out of reach.
 */
export function cursorScope(list: readonly unknown[]): string {
  return createHash('sha256').update(JSON.stringify(list)).digest('base64url').slice(0, 16);
}

/**
 * Cursors are opaque to clients but carry what they were made for (`scope`: see cursorScope),
 * so a cursor from one list or order is refused by another instead of skipping rows.
 */
export function encodeCursor(scope: string, position: CursorPosition): string {
  return Buffer.from(JSON.stringify([scope, position.value, position.id])).toString('base64url');
}

/** `scope` is the list's, or makes it (only when a cursor is given: it costs a digest). */
export function decodeCursor(
  argName: string,
  scope: string | (() => string),
  cursor: string,
): CursorPosition {
  let decoded: unknown;
  try {
    decoded =
      cursor.length > MAX_CURSOR_LENGTH
        ? undefined
        : JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    decoded = undefined;
  }
  if (
    !Array.isArray(decoded) ||
    decoded.length !== 3 ||
    typeof decoded[0] !== 'string' ||
    (decoded[1] !== null &&
      (typeof decoded[1] !== 'string' ||
        decoded[1].includes('\u0000') ||
        LONE_SURROGATE.test(decoded[1]))) ||
    !Number.isSafeInteger(decoded[2]) ||
    (decoded[2] as number) < 1 ||
    (decoded[2] as number) > 2_147_483_647
  ) {
    throw BadUserInputError.field(argName, 'cursor', 'is not a cursor this API issued');
  }
  if (decoded[0] !== (typeof scope === 'string' ? scope : scope())) {
    throw BadUserInputError.field(
      argName,
      'cursor',
      'belongs to a different list or order; restart from the first page',
    );
  }
  return { value: decoded[1] as string | null, id: decoded[2] as number };
}

/** Validates Relay arguments: one direction at a time, and a page size within 0..MAX_PAGE_SIZE. */
export function toPageRequest(args: PageArgs, scope: string | (() => string)): PageRequest {
  const { first, after, last, before } = args;
  if (first != null && last != null) {
    throw new BadUserInputError('Pass either first or last, not both', [
      { field: 'last', constraint: 'exclusive', message: 'cannot be combined with first' },
    ]);
  }
  const backward = last != null || (before != null && first == null);
  if (backward && after != null) {
    throw BadUserInputError.field('after', 'exclusive', 'pages forward; use it with first');
  }
  if (!backward && before != null) {
    throw BadUserInputError.field('before', 'exclusive', 'pages backward; use it with last');
  }
  const sizeArg = backward ? 'last' : 'first';
  const size = (backward ? last : first) ?? DEFAULT_PAGE_SIZE;
  if (size < 0) throw BadUserInputError.field(sizeArg, 'min', 'must not be negative');
  if (size > MAX_PAGE_SIZE) {
    throw BadUserInputError.field(sizeArg, 'max', `must be at most ${MAX_PAGE_SIZE}`);
  }
  const cursorArg = backward ? 'before' : 'after';
  const cursor = backward ? before : after;
  return {
    backward,
    size,
    cursor: cursor == null ? null : decodeCursor(cursorArg, scope, cursor),
  };
}

/**
 * One row of a page with its cursor. The cursor is encoded only when a client selects it (most
 * queries never do for inner lists), so a deep response does not pay for hundreds of them.
 */
export class PageEdge<T> {
  constructor(
    readonly node: T,
    private readonly cursorOf: (row: T) => string,
  ) {}

  get cursor(): string {
    return this.cursorOf(this.node);
  }
}

@ObjectType({
  description: 'Relay page information: whether more rows exist either side of this page.',
  simpleResolvers: true,
})
export class PageInfo {
  @Field({ description: 'True when rows follow the last edge.' })
  readonly hasNextPage: boolean;

  @Field({ description: 'True when rows precede the first edge.' })
  readonly hasPreviousPage: boolean;

  constructor(
    hasNextPage: boolean,
    hasPreviousPage: boolean,
    private readonly edges: readonly { cursor: string }[],
  ) {
    this.hasNextPage = hasNextPage;
    this.hasPreviousPage = hasPreviousPage;
  }

  @Field(() => String, {
    nullable: true,
    description: 'Cursor of the first edge; null on an empty page.',
  })
  get startCursor(): string | null {
    return this.edges[0]?.cursor ?? null;
  }

  @Field(() => String, {
    nullable: true,
    description: 'Cursor of the last edge; null on an empty page.',
  })
  get endCursor(): string | null {
    return this.edges.at(-1)?.cursor ?? null;
  }
}

/**
 * Turns rows read with one extra (size + 1) into the page the request asked for: the extra row
 * only says that more exist. Backward pages were read in reverse and are flipped back here.
 */
export function slicePage<T>(
  rows: T[],
  request: PageRequest,
  cursorOf: (row: T) => string,
): { edges: PageEdge<T>[]; pageInfo: PageInfo } {
  const hasMore = rows.length > request.size;
  const page = rows.slice(0, request.size); // a copy: loaders cache `rows`
  if (request.backward) page.reverse();
  const edges = page.map((node) => new PageEdge(node, cursorOf));
  const pageInfo = new PageInfo(
    request.backward ? request.cursor != null : hasMore,
    request.backward ? hasMore : request.cursor != null,
    edges,
  );
  return { edges, pageInfo };
}

/**
 * A timestamp exactly as this API writes it in cursors (ISO 8601, UTC, milliseconds), in years
 * 0001 to 9999: JavaScript also writes years 0000, -000001 or +275760, which PostgreSQL cannot
 * read as a timestamptz (an error in the query, not an empty page).
 */
export function isTimestampText(text: string): boolean {
  if (!/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/.test(text) || text.startsWith('0000')) {
    return false;
  }
  const time = Date.parse(text);
  return !Number.isNaN(time) && new Date(time).toISOString() === text;
}
