import { describe, expect, it } from '@jest/globals';
import { buildSchema, parse, validate } from 'graphql';
import { aliasLimit } from './alias-limit';

const schema = buildSchema(`
  type Query { item: Item items: [Item!]! }
  type Item { id: ID! name: String! child: Item }`);

const errorsOf = (query: string, maximum: number) =>
  validate(schema, parse(query), [aliasLimit(maximum)]).map((error) => error.message);

describe('aliasLimit', () => {
  it('counts aliased __typename fields', () => {
    expect(errorsOf('{ a: __typename b: __typename c: __typename }', 2)).toEqual([
      'Too many aliases: the operation has 3 aliased fields once its fragments are expanded, limit 2.',
    ]);
  });

  it('counts a fragment once per spread, nested spreads included', () => {
    const query = `query Q { x: item { ...Two } y: item { child { ...Two } } }
      fragment Two on Item { a: id b: name ...One }
      fragment One on Item { c: id }`;
    // 2 + 3 × 2
    expect(errorsOf(query, 8)).toEqual([]);
    expect(errorsOf(query, 7)).toEqual([
      'Too many aliases: the operation "Q" has 8 aliased fields once its fragments are expanded, limit 7.',
    ]);
  });

  it('does not count plain fields, and stops on a fragment cycle (refused by graphql-js)', () => {
    expect(errorsOf('{ item { id name } items { id } }', 0)).toEqual([]);
    const cycle = '{ item { ...A } } fragment A on Item { a: id child { ...A } }';
    expect(errorsOf(cycle, 0)).toHaveLength(1);
  });
});
