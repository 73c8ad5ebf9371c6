import { describe, expect, it } from '@jest/globals';
import { GraphQLError } from 'graphql';
import {
  cursorScope,
  decodeCursor,
  encodeCursor,
  isTimestampText,
  slicePage,
  toPageRequest,
} from './pagination';

describe('cursors', () => {
  it('round-trip their position, nulls included', () => {
    for (const position of [
      { value: 'Item A', id: 3 },
      { value: null, id: 9 },
      { value: '0.10', id: 1 },
    ]) {
      expect(decodeCursor('after', 'scope', encodeCursor('scope', position))).toEqual(position);
    }
  });

  it.each([
    '',
    'garbage',
    encodeCursor('other', { value: 'x', id: 1 }),
    Buffer.from('[1,2]').toString('base64url'),
    Buffer.from('["scope","x",1.5]').toString('base64url'),
  ])('refuse %p as BAD_USER_INPUT naming the argument', (cursor) => {
    let error: unknown;
    try {
      decodeCursor('after', 'scope', cursor);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(GraphQLError);
    expect((error as GraphQLError).extensions).toMatchObject({
      code: 'BAD_USER_INPUT',
      fields: [{ field: 'after' }],
    });
  });
});

describe('toPageRequest', () => {
  it('defaults to the first 20', () => {
    expect(toPageRequest({}, 's')).toEqual({ backward: false, size: 20, cursor: null });
  });

  it('pages backward with last or before', () => {
    expect(toPageRequest({ last: 5 }, 's')).toMatchObject({ backward: true, size: 5 });
    const before = encodeCursor('s', { value: 'a', id: 1 });
    expect(toPageRequest({ before }, 's')).toMatchObject({ backward: true, cursor: { id: 1 } });
  });

  it.each([
    [{ first: -1 }, 'first'],
    [{ first: 101 }, 'first'],
    [{ last: 101 }, 'last'],
    [{ first: 1, last: 1 }, 'last'],
    [{ last: 1, after: encodeCursor('s', { value: 'a', id: 1 }) }, 'after'],
    [{ first: 1, before: encodeCursor('s', { value: 'a', id: 1 }) }, 'before'],
  ])('refuses %j, naming %s', (args, field) => {
    expect(() => toPageRequest(args, 's')).toThrow(GraphQLError);
    try {
      toPageRequest(args, 's');
    } catch (e) {
      expect((e as GraphQLError).extensions.fields).toEqual([expect.objectContaining({ field })]);
    }
  });
});

describe('slicePage', () => {
  const cursorOf = (n: number) => `c${n}`;
  it('uses the extra row only to report a next page', () => {
    const page = slicePage([1, 2, 3], { backward: false, size: 2, cursor: null }, cursorOf);
    expect(page.edges.map((e) => e.node)).toEqual([1, 2]);
    const { hasNextPage, hasPreviousPage, startCursor, endCursor } = page.pageInfo;
    expect({ hasNextPage, hasPreviousPage, startCursor, endCursor }).toEqual({
      hasNextPage: true,
      hasPreviousPage: false,
      startCursor: 'c1',
      endCursor: 'c2',
    });
  });

  it('encodes a cursor only when it is read', () => {
    const encoded: number[] = [];
    const page = slicePage([1, 2, 3], { backward: false, size: 3, cursor: null }, (n) => {
      encoded.push(n);
      return `c${n}`;
    });
    expect(page.edges).toHaveLength(3);
    expect(encoded).toEqual([]);
    expect(page.edges[1]!.cursor).toBe('c2');
    expect(page.pageInfo.endCursor).toBe('c3');
    expect(encoded).toEqual([2, 3]);
  });

  it('flips backward pages into list order', () => {
    const page = slicePage(
      [5, 4, 3],
      { backward: true, size: 2, cursor: { value: 'x', id: 6 } },
      cursorOf,
    );
    expect(page.edges.map((e) => e.node)).toEqual([4, 5]);
    expect(page.pageInfo).toMatchObject({ hasNextPage: true, hasPreviousPage: true });
  });
});

describe('strict cursor values', () => {
  it.each([
    ['an id beyond int4', '["s","x",3000000000]'],
    ['an id of 0', '["s","x",0]'],
    ['a NUL character', '["s","a\\u0000b",1]'],
  ])('refuses %s', (_name, json) => {
    expect(() => decodeCursor('after', 's', Buffer.from(json).toString('base64url'))).toThrow(
      GraphQLError,
    );
  });

  it('accepts only timestamps written the way cursors write them', () => {
    expect(isTimestampText('2026-01-01T00:00:00.000Z')).toBe(true);
    expect(isTimestampText('1')).toBe(false);
    expect(isTimestampText('2026-01-01')).toBe(false);
  });

  it('accepts only the years PostgreSQL reads (0001 to 9999)', () => {
    expect(isTimestampText('0001-01-01T00:00:00.000Z')).toBe(true);
    expect(isTimestampText('9999-12-31T23:59:59.999Z')).toBe(true);
    for (const year of [0, -1, 10_000, 275_760]) {
      const written = new Date(Date.UTC(2000, 0, 1));
      written.setUTCFullYear(year); // JavaScript writes 0000, -000001, +010000, +275760
      expect(isTimestampText(written.toISOString())).toBe(false);
    }
  });

  it('refuses a cursor longer than any this API writes, before decoding it', () => {
    const cursor = encodeCursor('s', { value: 'x'.repeat(3000), id: 1 });
    expect(() => decodeCursor('after', 's', cursor)).toThrow('is not a cursor this API issued');
  });

  it('refuses a lone surrogate, which no stored text holds', () => {
    const cursor = encodeCursor('s', { value: 'a\ud800', id: 1 });
    expect(() => decodeCursor('after', 's', cursor)).toThrow('is not a cursor this API issued');
    expect(decodeCursor('after', 's', encodeCursor('s', { value: '🦓', id: 1 })).value).toBe('🦓');
  });
});

describe('cursorScope', () => {
  it('is the same in every process and release: no per-process key', () => {
    // A change here makes every cursor clients hold fail; change it only on purpose.
    expect(cursorScope(['list', 1])).toBe('t7tiIuPP6-S6iOvO');
  });

  it('tells lists apart and is read lazily by toPageRequest', () => {
    expect(cursorScope(['list', 1])).not.toBe(cursorScope(['list', 2]));
    let reads = 0;
    const scope = () => {
      reads += 1;
      return 's';
    };
    expect(toPageRequest({ first: 2 }, scope).cursor).toBeNull();
    expect(reads).toBe(0);
    const after = encodeCursor('s', { value: 'x', id: 1 });
    expect(toPageRequest({ first: 2, after }, scope).cursor).toEqual({ value: 'x', id: 1 });
    expect(reads).toBe(1);
  });
});
