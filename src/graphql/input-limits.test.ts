import { describe, expect, it } from '@jest/globals';
import {
  getNamedType,
  isInputObjectType,
  isObjectType,
  type GraphQLArgument,
  type GraphQLField,
  type GraphQLInputField,
} from 'graphql';
import { Category } from '../catalog/category/category.entity';
import { Product } from '../catalog/product/product.entity';
import { Review } from '../catalog/review/review.entity';
import { columnLength, inputProblems, maxLengthOf } from './input-limits';
import { buildCatalogSchema } from './schema';

interface StringInput {
  field: GraphQLField<unknown, unknown>;
  /** Path from the field's arguments to the string, as a client writes it: "filter.text". */
  path: string[];
  input: GraphQLArgument | GraphQLInputField;
}

/** Every String/ID argument and input field of every field, nested input objects included. */
async function everyStringInput(): Promise<StringInput[]> {
  const schema = await buildCatalogSchema();
  const found: StringInput[] = [];
  const walk = (
    field: GraphQLField<unknown, unknown>,
    input: GraphQLArgument | GraphQLInputField,
    path: string[],
    seen: Set<string>,
  ) => {
    const type = getNamedType(input.type);
    if (type.name === 'String' || type.name === 'ID') found.push({ field, path, input });
    if (isInputObjectType(type) && !seen.has(type.name)) {
      for (const child of Object.values(type.getFields())) {
        walk(field, child, [...path, child.name], new Set([...seen, type.name]));
      }
    }
  };
  for (const type of Object.values(schema.getTypeMap())) {
    if (!isObjectType(type) || type.name.startsWith('__')) continue;
    for (const field of Object.values(type.getFields())) {
      for (const arg of field.args) walk(field, arg, [arg.name], new Set());
    }
  }
  return found;
}

/** Arguments holding `value` at `path`, e.g. { filter: { text: value } }. */
function argsWith(path: string[], value: string): Record<string, unknown> {
  return path.reduceRight<unknown>((inner, key) => ({ [key]: inner }), value) as Record<
    string,
    unknown
  >;
}

describe('length caps of string arguments', () => {
  it('finds the string arguments of the schema, nested ones included', async () => {
    const paths = (await everyStringInput()).map(({ path }) => path.join('.'));
    expect(paths).toEqual(
      expect.arrayContaining(['search', 'slug', 'after', 'filter.categorySlug', 'input.name']),
    );
  });

  it('caps every String and ID argument and input field, refusing one character more', async () => {
    for (const { field, path, input } of await everyStringInput()) {
      const max = maxLengthOf(input);
      const where = `${field.name}(${path.join('.')})`;
      expect([where, typeof max]).toEqual([where, 'number']);
      expect([where, max! >= 1 && max! <= 5000]).toEqual([where, true]);
      expect([where, inputProblems(field, argsWith(path, 'a'.repeat(max!)))]).toEqual([where, []]);
      expect([where, inputProblems(field, argsWith(path, 'a'.repeat(max! + 1)))]).toEqual([
        where,
        [
          {
            field: path.join('.'),
            constraint: 'maxLength',
            message: `must be at most ${max} characters`,
          },
        ],
      ]);
    }
  });

  it('counts characters as PostgreSQL does: an emoji is one', async () => {
    const search = (await everyStringInput()).find(({ path }) => path.join('.') === 'search')!;
    expect(inputProblems(search.field, { search: '😀'.repeat(200) })).toEqual([]);
    expect(inputProblems(search.field, { search: '😀'.repeat(201) })).toHaveLength(1);
  });
});

describe('columnLength', () => {
  it("is the varchar column's length, as its entity declares it", () => {
    expect(columnLength(Product, 'sku')).toBe(64);
    expect(columnLength(Category, 'name')).toBe(120);
    expect(columnLength(Review, 'title')).toBe(200);
  });

  it('refuses a column without a length (text, numbers)', () => {
    expect(() => columnLength(Product, 'description')).toThrow(/not a column with a length/);
    expect(() => columnLength(Product, 'stock')).toThrow(/not a column with a length/);
  });

  it('caps the inputs that write a column at that length', async () => {
    const schema = await buildCatalogSchema();
    const capOf = (type: string, field: string) => {
      const input = schema.getType(type);
      if (!isInputObjectType(input)) throw new Error(`${type} is not an input`);
      return maxLengthOf(input.getFields()[field]!);
    };
    expect(capOf('CreateProductInput', 'sku')).toBe(columnLength(Product, 'sku'));
    expect(capOf('UpdateProductInput', 'name')).toBe(columnLength(Product, 'name'));
    expect(capOf('CreateCategoryInput', 'slug')).toBe(columnLength(Category, 'slug'));
    expect(capOf('UpdateCategoryInput', 'name')).toBe(columnLength(Category, 'name'));
    expect(capOf('AddReviewInput', 'title')).toBe(columnLength(Review, 'title'));
    expect(capOf('ProductFilter', 'categorySlug')).toBe(columnLength(Category, 'slug'));
  });
});
