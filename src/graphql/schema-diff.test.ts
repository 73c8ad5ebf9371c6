import { describe, expect, it } from '@jest/globals';
import { diffSchemas } from './schema-diff';

const BASE = `
  type Query { product(id: ID!): Product }
  type Product { id: ID! name: String! price: String! }
  enum Order { NAME PRICE }
`;

describe('diffSchemas', () => {
  it('finds nothing between equal schemas, and nothing breaking in an added field', () => {
    expect(diffSchemas(BASE, BASE)).toEqual({ breaking: [], dangerous: [] });
    const added = BASE.replace('price: String!', 'price: String! stock: Int');
    expect(diffSchemas(BASE, added)).toEqual({ breaking: [], dangerous: [] });
  });

  it('reports a removed field and a new required argument as breaking', () => {
    const after = BASE.replace(' price: String!', '').replace(
      'product(id: ID!)',
      'product(id: ID!, sku: String!)',
    );
    expect(diffSchemas(BASE, after).breaking).toEqual([
      'REQUIRED_ARG_ADDED: A required arg sku on Query.product was added.',
      'FIELD_REMOVED: Product.price was removed.',
    ]);
  });

  it('reports a new enum value as dangerous', () => {
    expect(diffSchemas(BASE, BASE.replace('NAME PRICE', 'NAME PRICE RATING')).dangerous).toEqual([
      'VALUE_ADDED_TO_ENUM: RATING was added to enum type Order.',
    ]);
  });
});
