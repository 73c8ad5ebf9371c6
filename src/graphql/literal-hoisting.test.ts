import { beforeAll, describe, expect, it } from '@jest/globals';
import { Kind, parse, print, type GraphQLSchema, type OperationDefinitionNode } from 'graphql';
import { notCompilable } from './compiled-execution';
import { hoistLiterals } from './literal-hoisting';
import { buildCatalogSchema } from './schema';

let schema: GraphQLSchema;
beforeAll(async () => {
  schema = await buildCatalogSchema();
});

function hoisted(source: string) {
  const document = parse(source);
  const operation = document.definitions.find(
    (d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION,
  )!;
  return hoistLiterals(schema, document, operation);
}

/** The operation's head as printed: the variables it declares. */
function head(text: string): string {
  return text.slice(0, text.indexOf('{')).trim();
}

describe('hoistLiterals', () => {
  it('gives every literal variant and layout one form, with its own values', () => {
    const one = hoisted('{ product(id: "1") { name reviews(first: 3) { totalCount } } }');
    const other = hoisted('{product(id:"22"){name reviews(first:10){totalCount}}}');
    expect(other.text).toBe(one.text);
    expect(head(one.text)).toBe('query ($_lit0: ID!, $_lit1: Int)');
    expect(one.values).toEqual({ _lit0: '1', _lit1: 3 });
    expect(other.values).toEqual({ _lit0: '22', _lit1: 10 });
    // The fields' own places: errors are located by them.
    expect(one.fieldLocations).toEqual([1, 3, 1, 22, 1, 27, 1, 47]);
    expect(other.fieldLocations).toEqual([1, 2, 1, 19, 1, 24, 1, 42]);
  });

  it('leaves no client-written string in the form', () => {
    const form = hoisted(
      '{ products(search: "__MAGIC_DATE__x(globalThis.y=1)", filter: { text: "\\"}) {", minPrice: "1.5" }) { totalCount } }',
    );
    expect(form.text).not.toMatch(/MAGIC|globalThis|1\.5/);
    expect(notCompilable(form.document)).toBeUndefined();
    expect(form.values).toEqual({
      _lit0: '__MAGIC_DATE__x(globalThis.y=1)',
      _lit1: { text: '"}) {', minPrice: '1.5' },
    });
  });

  it('declares exact types and passes values as variables coerce them alike', () => {
    const form = hoisted(
      '{ a: product(id: 12345678901234567890) { id } products(first: 2, orderBy: { field: PRICE }, filter: { maxPrice: 19.990, inStock: true }) { totalCount } }',
    );
    expect(head(form.text)).toBe(
      'query ($_lit0: ID!, $_lit1: Int, $_lit2: ProductOrder, $_lit3: ProductFilter)',
    );
    // An Int literal's text for an ID (a number would lose digits), a Decimal's exact text.
    expect(form.values).toEqual({
      _lit0: '12345678901234567890',
      _lit1: 2,
      _lit2: { field: 'PRICE' },
      _lit3: { maxPrice: '19.990', inStock: true },
    });
  });

  it('keeps the literals a variable would not stand for exactly', () => {
    const source = `query Kept($text: String, $on: Boolean! = true, $search: String = "kept default") {
      products(search: $search, first: null, filter: { text: $text, minPrice: "1" }) @include(if: true) {
        totalCount @skip(if: false)
      }
      again: products(search: "x") @include(if: $on) { totalCount }
    }`;
    const form = hoisted(source);
    // Only the last products' search: a directive's argument, a default, a null and an input
    // object holding a variable stay as written.
    expect(form.values).toEqual({ _lit0: 'x' });
    expect(form.text).toContain('$search: String = "kept default"');
    expect(form.text).toContain('first: null, filter: {text: $text, minPrice: "1"}');
    expect(form.text).toContain('@include(if: true)');
    expect(form.text).toContain('@skip(if: false)');
    expect(notCompilable(form.document)).toBe('a string literal');
  });

  it('keeps an input object whose type has a field default (graphql-jit would refuse it)', () => {
    const form = hoisted(
      'mutation { createProduct(input: { name: "n", sku: "SKU-1", price: "1.00" }) { id } }',
    );
    expect(form.values).toBeUndefined();
    expect(print(form.document)).toContain('sku: "SKU-1"');
  });

  it("names its variables apart from the client's, whatever they are called", () => {
    const form = hoisted(
      'query Q($_lit0: ID!, $__lit1: Int) { a: product(id: $_lit0) { id } b: product(id: "7") { reviews(first: $__lit1) { totalCount } } }',
    );
    expect(head(form.text)).toBe('query Q($_lit0: ID!, $__lit1: Int, $___lit0: ID!)');
    expect(form.values).toEqual({ ___lit0: '7' });
  });

  it('hoists a fragment used in several places once, and declares it on the operation', () => {
    const form = hoisted(
      'query F { a: product(id: 1) { ...R } b: product(id: 2) { ...R } } fragment R on Product { reviews(first: 2) { totalCount } }',
    );
    expect(head(form.text)).toBe('query F($_lit0: ID!, $_lit1: ID!, $_lit2: Int)');
    expect(form.values).toEqual({ _lit0: '1', _lit1: '2', _lit2: 2 });
    expect(form.text).toContain('fragment R on Product {\n  reviews(first: $_lit2)');
  });
});
