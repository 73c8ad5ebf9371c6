/** The benchmark's workloads: the GraphQL document, and how to pick its variables. */

export interface Workload {
  name: string;
  description: string;
  query: string;
  /** Variables for one request; `n` counts requests, so runs are deterministic. */
  variables(n: number): Record<string, unknown>;
  /**
   * The document for one request, when it differs per request (values written as literals, as
   * Playground and curl users write them); `query` and `variables` otherwise.
   */
  document?(variables: Record<string, unknown>): string;
  /** The baseline's route and query string for the same variables. */
  baselinePath(variables: Record<string, unknown>): string;
  /** A write mix: every `every`-th request is this mutation instead, sent with an admin token. */
  write?: {
    every: number;
    query: string;
    variables(n: number): Record<string, unknown>;
    /** The baseline's route for the same write (POST). */
    baselinePath(variables: Record<string, unknown>): string;
  };
}

export const PRODUCT_COUNT = 10_000;

/** The GraphQL request body of a workload's request with these variables. */
export function graphqlBody(workload: Workload, variables: Record<string, unknown>) {
  return workload.document
    ? { query: workload.document(variables) }
    : { query: workload.query, variables };
}

export const WORKLOADS: Workload[] = [
  {
    name: 'W1',
    description: 'product(id) with its category',
    query: `query W1($id: ID!) { product(id: $id) { id sku name price stock category { id name } } }`,
    variables: (n) => ({ id: String(((n * 7919) % PRODUCT_COUNT) + 1) }),
    baselinePath: (v) => `/w1?id=${v.id as string}`,
  },
  {
    name: 'W1L',
    description: 'W1 with the id written in the document (a literal), not a variable',
    query: `query W1 { product(id: "1") { id sku name price stock category { id name } } }`,
    document: (v) =>
      `query W1 { product(id: "${v.id as string}") { id sku name price stock category { id name } } }`,
    variables: (n) => ({ id: String(((n * 7919) % PRODUCT_COUNT) + 1) }),
    baselinePath: (v) => `/w1?id=${v.id as string}`,
  },
  {
    name: 'W2',
    description: 'products(first: 50) with category name and reviewCount',
    query: `query W2 { products(first: 50) { edges { node { id sku name price category { name } reviewCount } } pageInfo { hasNextPage endCursor } } }`,
    variables: () => ({}),
    baselinePath: () => '/w2',
  },
  {
    name: 'W3',
    description: 'categories → products(first: 10) → reviews(first: 3)',
    query: `query W3 { categories { id name products(first: 10) { edges { node { id name reviews(first: 3) { edges { node { id rating title author } } } } } } } }`,
    variables: () => ({}),
    baselinePath: () => '/w3',
  },
  {
    name: 'W4',
    description: 'write mix: 90 % W1, 10 % updateProduct (admin token)',
    query: `query W1($id: ID!) { product(id: $id) { id sku name price stock category { id name } } }`,
    variables: (n) => ({ id: String(((n * 7919) % PRODUCT_COUNT) + 1) }),
    baselinePath: (v) => `/w1?id=${v.id as string}`,
    write: {
      every: 10,
      query: `mutation W4($id: ID!, $stock: Int!) { updateProduct(id: $id, input: { stock: $stock }) { id stock } }`,
      variables: (n) => ({ id: String(((n * 104_729) % PRODUCT_COUNT) + 1), stock: n % 1000 }),
      baselinePath: (v) => `/w4?id=${v.id as string}&stock=${v.stock as number}`,
    },
  },
];
