import { describe, expect, it } from '@jest/globals';
import { buildSchema, getOperationAST, parse } from 'graphql';
import { readFileSync } from 'node:fs';
import { LIGHT_OPERATION_COST } from './operation-gate';
import { QueryCost } from './query-cost';
import { SCHEMA_FILE } from './schema';

const schema = buildSchema(readFileSync(SCHEMA_FILE, 'utf8'));

/** One QueryCost, one parsed document: what Apollo and the fast path hand it for a query seen before. */
function costing(query: string, maximum = 10_000) {
  const cost = new QueryCost(schema, maximum);
  const document = parse(query);
  const operation = getOperationAST(document)!;
  return (variables: Record<string, unknown>) => {
    const refusal = cost.refusal(document, operation, { variables });
    return refusal && { message: refusal.message, ...refusal.extensions };
  };
}

describe('QueryCost', () => {
  it('keeps a cost cached for one value from answering for a null or absent one', () => {
    const refusal = costing(`query ($v: Boolean = false, $id: ID = 1) {
      categories @skip(if: $v) { id } product(id: $id) { id } }`);
    for (let i = 0; i < 2; i++) {
      expect(refusal({})).toBeUndefined();
      expect(refusal({ v: true, id: 2 })).toBeUndefined();
      expect(refusal({ v: null })).toMatchObject({
        code: 'BAD_USER_INPUT',
        http: { status: 400 },
        message: 'Argument "if" of non-null type "Boolean!" must not be null.',
      });
      expect(refusal({ id: null })).toMatchObject({
        code: 'BAD_USER_INPUT',
        message: 'Argument "id" of non-null type "ID!" must not be null.',
      });
    }
  });

  it('refuses variables that do not coerce, in the words of graphql-js', () => {
    const refusal = costing('query ($n: Int) { products(first: $n) { totalCount } }');
    expect(refusal({ n: 5 })).toBeUndefined();
    expect(refusal({ n: 'five' })).toMatchObject({
      code: 'BAD_USER_INPUT',
      message:
        'Variable "$n" got invalid value "five"; Int cannot represent non-integer value: "five"',
    });
  });

  it('prices by the coerced value: a default when absent, the default page size when null', () => {
    const refusal = costing(
      'query ($n: Int = 100) { products(first: $n) { edges { node { id name sku } } } }',
      250,
    );
    expect(refusal({})).toMatchObject({ cost: 1 + 100 * 5 }); // edges: 1 + node (1 + 3)
    expect(refusal({ n: null })).toBeUndefined(); // 1 + 20 × 5
  });

  it('never serialises a variable to key its cost: a 100,000-deep value is no trouble', () => {
    let deep: unknown = 1;
    for (let i = 0; i < 100_000; i++) deep = [deep];
    // A page size: not a number, so costed afresh, and refused by coercion.
    const page = costing('query ($n: Int) { products(first: $n) { totalCount } }');
    expect(page({ n: 1 })).toBeUndefined();
    expect(page({ n: deep })).toMatchObject({ code: 'BAD_USER_INPUT' });
    // Not priced: the cost cached for a filter is the cost for any filter (execution refuses this one).
    const filter = costing('query ($f: ProductFilter) { products(filter: $f) { totalCount } }');
    expect(filter({ f: deep })).toMatchObject({ code: 'BAD_USER_INPUT' });
    expect(filter({ f: { inStock: true } })).toBeUndefined();
    expect(filter({ f: deep })).toBeUndefined();
  });

  it('tells whether an operation is priced at most a cost: the light lane takes W1, not a page of 50', () => {
    const cost = new QueryCost(schema, 10_000);
    const atMost = (query: string, variables: Record<string, unknown> = {}) => {
      const document = parse(query);
      return cost.atMost(LIGHT_OPERATION_COST, document, getOperationAST(document)!, variables);
    };
    const w1 =
      'query ($id: ID!) { product(id: $id) { id sku name price stock category { id name } } }';
    expect(atMost(w1, { id: '7' })).toBe(true); // 9
    const page = 'query ($n: Int) { products(first: $n) { edges { node { id } } } }';
    expect(atMost(page, { n: 5 })).toBe(true); // 16
    expect(atMost(page, { n: 50 })).toBe(false); // the price follows the variables
    expect(atMost('{ categories { id } }')).toBe(false); // 21: a list without a page size
    // Not priced (a variable that does not coerce, a null condition): never light.
    expect(atMost(page, { n: 'five' })).toBe(false);
    expect(atMost('query ($s: Boolean) { product(id: 1) @skip(if: $s) { id } }', { s: null })).toBe(
      false,
    );
  });
});
