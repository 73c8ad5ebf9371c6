import { describe, expect, it } from '@jest/globals';
import { buildSchema, getOperationAST, getVariableValues, GraphQLError, parse } from 'graphql';
import { readFileSync } from 'node:fs';
import { operationCost } from './operation-cost';
import { SCHEMA_FILE } from './schema';

const catalog = buildSchema(readFileSync(SCHEMA_FILE, 'utf8'));

function costOf(query: string, variables: Record<string, unknown> = {}, schema = catalog): number {
  const document = parse(query);
  const operation = getOperationAST(document)!;
  const coerced = getVariableValues(schema, operation.variableDefinitions ?? [], variables);
  if (coerced.errors) throw new Error(coerced.errors.map((e) => e.message).join('; '));
  return operationCost(schema, document, operation, coerced.coerced);
}

describe('operationCost', () => {
  // The prices graphql-query-complexity gave with the same estimators, before this walk replaced it.
  it.each([
    [
      'W1',
      `query W1($id: ID!) { product(id: $id) { id sku name price stock category { id name } } }`,
      { id: '7' },
      9,
    ],
    [
      'W2',
      `query W2 { products(first: 50) { edges { node { id sku name price category { name } reviewCount } } pageInfo { hasNextPage endCursor } } }`,
      {},
      601,
    ],
    [
      'W3',
      `query W3 { categories { id name products(first: 10) { edges { node { id name reviews(first: 3) { edges { node { id rating title author } } } } } } } }`,
      {},
      4661,
    ],
    [
      '`last`, a default, an @include and a fragment',
      `query P($n: Int, $m: Int = 7, $r: Boolean!) { products(last: $n) { totalCount edges { cursor node { ...N reviews(first: $m) @include(if: $r) { edges { node { id } } } } } } }
       fragment N on Product { id name category { name products { edges { node { __typename id } } } } }`,
      { n: 30, r: true },
      3331,
    ],
    [
      'the same with the @include off and `last` absent',
      `query P($n: Int, $m: Int = 7, $r: Boolean!) { products(last: $n) { totalCount edges { cursor node { ...N reviews(first: $m) @include(if: $r) { edges { node { id } } } } } } }
       fragment N on Product { id name category { name products { edges { node { __typename id } } } } }`,
      { r: false },
      1781,
    ],
    [
      'aliases, an inline fragment and a fragment spread twice',
      `{ a: categories { ... on Category { id } ...C } b: categories { ...C } }
       fragment C on Category { name productCount }`,
      {},
      102,
    ],
  ])('prices %s as before', (_name, query, variables, cost) => {
    expect(costOf(query, variables)).toBe(cost);
  });

  it('costs each fragment once, however often it is spread', () => {
    const spreads = (fragment: string) => ` ...${fragment}`.repeat(20);
    const query = `{ categories { ...F0 } }
      fragment F0 on Category {${spreads('F1')} }
      fragment F1 on Category {${spreads('F2')} }
      fragment F2 on Category {${spreads('F3')} }
      fragment F3 on Category { id name }`;
    // 20 categories × 20³ spreads × 2 fields: priced in full, where the library gave up.
    expect(costOf(query)).toBe(1 + 20 * 20 ** 3 * 2);
  });

  it('refuses a null @skip or @include condition, as execution does', () => {
    for (const directive of ['skip', 'include']) {
      const query = `query ($v: Boolean = false) { categories @${directive}(if: $v) { id } }`;
      expect(() => costOf(query, { v: null })).toThrow(
        new GraphQLError('Argument "if" of non-null type "Boolean!" must not be null.'),
      );
      expect(costOf(query, {})).toBe(directive === 'skip' ? 21 : 0);
    }
  });

  it('refuses a null for a non-null argument, as execution does', () => {
    expect(() => costOf('query ($id: ID = 1) { product(id: $id) { id } }', { id: null })).toThrow(
      /"id" of non-null type "ID!" must not be null/,
    );
  });

  it('prices an abstract type as the most expensive type it may be', () => {
    const schema = buildSchema(`
      interface Node { id: ID! }
      type A implements Node { id: ID! more: [A!]! }
      type B implements Node { id: ID! }
      type Query { node: Node }`);
    // A: id + more (1 + 20 × id) = 22; B: 1 (`more` does not apply to it).
    expect(costOf('{ node { id ... on A { more { id } } } }', {}, schema)).toBe(23);
    expect(costOf('{ node { ...B } } fragment B on B { id }', {}, schema)).toBe(2);
  });
});
