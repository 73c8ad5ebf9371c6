/* eslint-disable */
import * as types from './graphql';
import type { TypedDocumentNode as DocumentNode } from '@graphql-typed-document-node/core';

/**
 * Map of all GraphQL operations in the project.
 *
 * This map has several performance disadvantages:
 * 1. It is not tree-shakeable, so it will include all operations in the project.
 * 2. It is not minifiable, so the string of a GraphQL query will be multiple times inside the bundle.
 * 3. It does not support dead code elimination, so it will add unused operations.
 *
 * Therefore it is highly recommended to use the babel or swc plugin for production.
 * Learn more about it here: https://the-guild.dev/graphql/codegen/plugins/presets/preset-client#reducing-bundle-size
 */
type Documents = {
    "fragment ProductCard on Product {\n  id\n  sku\n  name\n  price\n  version\n  averageRating\n  category {\n    id\n    name\n  }\n}\n\nquery ProductsPage($first: Int!, $after: String, $filter: ProductFilter, $orderBy: ProductOrder) {\n  products(first: $first, after: $after, filter: $filter, orderBy: $orderBy) {\n    totalCount\n    edges {\n      cursor\n      node {\n        ...ProductCard\n      }\n    }\n    pageInfo {\n      hasNextPage\n      endCursor\n    }\n  }\n}\n\nquery ProductById($id: ID!) {\n  product(id: $id) {\n    ...ProductCard\n  }\n}\n\nmutation RenameProduct($id: ID!, $name: String!, $expectedVersion: Int) {\n  updateProduct(id: $id, input: {name: $name, expectedVersion: $expectedVersion}) {\n    id\n    name\n    version\n    updatedAt\n  }\n}": typeof types.ProductCardFragmentDoc,
};
const documents: Documents = {
    "fragment ProductCard on Product {\n  id\n  sku\n  name\n  price\n  version\n  averageRating\n  category {\n    id\n    name\n  }\n}\n\nquery ProductsPage($first: Int!, $after: String, $filter: ProductFilter, $orderBy: ProductOrder) {\n  products(first: $first, after: $after, filter: $filter, orderBy: $orderBy) {\n    totalCount\n    edges {\n      cursor\n      node {\n        ...ProductCard\n      }\n    }\n    pageInfo {\n      hasNextPage\n      endCursor\n    }\n  }\n}\n\nquery ProductById($id: ID!) {\n  product(id: $id) {\n    ...ProductCard\n  }\n}\n\nmutation RenameProduct($id: ID!, $name: String!, $expectedVersion: Int) {\n  updateProduct(id: $id, input: {name: $name, expectedVersion: $expectedVersion}) {\n    id\n    name\n    version\n    updatedAt\n  }\n}": types.ProductCardFragmentDoc,
};

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 *
 *
 * @example
 * ```ts
 * const query = graphql(`query GetUser($id: ID!) { user(id: $id) { name } }`);
 * ```
 *
 * The query argument is unknown!
 * Please regenerate the types.
 */
export function graphql(source: string): unknown;

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "fragment ProductCard on Product {\n  id\n  sku\n  name\n  price\n  version\n  averageRating\n  category {\n    id\n    name\n  }\n}\n\nquery ProductsPage($first: Int!, $after: String, $filter: ProductFilter, $orderBy: ProductOrder) {\n  products(first: $first, after: $after, filter: $filter, orderBy: $orderBy) {\n    totalCount\n    edges {\n      cursor\n      node {\n        ...ProductCard\n      }\n    }\n    pageInfo {\n      hasNextPage\n      endCursor\n    }\n  }\n}\n\nquery ProductById($id: ID!) {\n  product(id: $id) {\n    ...ProductCard\n  }\n}\n\nmutation RenameProduct($id: ID!, $name: String!, $expectedVersion: Int) {\n  updateProduct(id: $id, input: {name: $name, expectedVersion: $expectedVersion}) {\n    id\n    name\n    version\n    updatedAt\n  }\n}"): (typeof documents)["fragment ProductCard on Product {\n  id\n  sku\n  name\n  price\n  version\n  averageRating\n  category {\n    id\n    name\n  }\n}\n\nquery ProductsPage($first: Int!, $after: String, $filter: ProductFilter, $orderBy: ProductOrder) {\n  products(first: $first, after: $after, filter: $filter, orderBy: $orderBy) {\n    totalCount\n    edges {\n      cursor\n      node {\n        ...ProductCard\n      }\n    }\n    pageInfo {\n      hasNextPage\n      endCursor\n    }\n  }\n}\n\nquery ProductById($id: ID!) {\n  product(id: $id) {\n    ...ProductCard\n  }\n}\n\nmutation RenameProduct($id: ID!, $name: String!, $expectedVersion: Int) {\n  updateProduct(id: $id, input: {name: $name, expectedVersion: $expectedVersion}) {\n    id\n    name\n    version\n    updatedAt\n  }\n}"];

export function graphql(source: string) {
  return (documents as any)[source] ?? {};
}

export type DocumentType<TDocumentNode extends DocumentNode<any, any>> = TDocumentNode extends DocumentNode<  infer TType,  any>  ? TType  : never;