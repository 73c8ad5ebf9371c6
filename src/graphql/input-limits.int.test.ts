import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createCategory } from '../../test/support/factories';
import { startTestServer, type TestServer } from '../../test/support/server';
import { countStatements } from '../../test/support/sql-counter';

let server: TestServer;
let admin: string;

beforeAll(async () => {
  server = await startTestServer();
  admin = await server.token({ sub: 'root', roles: ['admin'] });
});
afterAll(() => server.close());

/** The response's problems, and how many SQL statements the request ran. */
async function refused(
  document: string,
  variables: Record<string, unknown>,
  token?: string,
): Promise<{ code: unknown; fields: unknown; statements: number; message: string }> {
  const counter = countStatements(server.orm);
  try {
    const response = await server.gql(document, variables, { token });
    const error = response.errors?.[0];
    return {
      code: error?.extensions?.code,
      fields: error?.extensions?.fields,
      statements: counter.statements.length,
      message: error?.message ?? '',
    };
  } finally {
    counter.stop();
  }
}

const HUGE = 'x'.repeat(250_000);

describe('string arguments', () => {
  it('refuses a 250 KB category(slug:) before any SQL, naming slug', async () => {
    const result = await refused('query ($slug: String) { category(slug: $slug) { id } }', {
      slug: HUGE,
    });
    expect(result).toMatchObject({
      code: 'BAD_USER_INPUT',
      fields: [
        { field: 'slug', constraint: 'maxLength', message: 'must be at most 64 characters' },
      ],
      statements: 0,
    });
    expect(result.message).not.toContain('xxxxxxxx');
  });

  it('refuses a 250 KB filter.categorySlug before any SQL, naming filter.categorySlug', async () => {
    const result = await refused(
      'query ($filter: ProductFilter) { products(filter: $filter) { totalCount } }',
      { filter: { categorySlug: HUGE } },
    );
    expect(result).toMatchObject({
      code: 'BAD_USER_INPUT',
      fields: [{ field: 'filter.categorySlug', constraint: 'maxLength' }],
      statements: 0,
    });
  });

  it('refuses the same way once the document runs compiled (graphql-jit, the fast path)', async () => {
    const document = 'query Caps($search: String) { products(search: $search) { totalCount } }';
    for (let run = 0; run < 4; run++) {
      expect(await refused(document, { search: `a\u0000b${run}` })).toMatchObject({
        code: 'BAD_USER_INPUT',
        fields: [{ field: 'search', constraint: 'noNulCharacters' }],
        statements: 0,
      });
      expect(await refused(document, { search: 'y'.repeat(201) })).toMatchObject({
        fields: [{ field: 'search', constraint: 'maxLength' }],
        statements: 0,
      });
    }
  });

  it('still answers a slug at the cap', async () => {
    const category = await createCategory(server.orm);
    const response = await server.gql<{ category: { id: string } | null }>(
      'query ($slug: String) { category(slug: $slug) { id } }',
      { slug: category.slug },
    );
    expect(response.data?.category?.id).toBe(String(category.id));
    const atCap = await server.gql('query ($s: String) { category(slug: $s) { id } }', {
      s: 'a'.repeat(64),
    });
    expect(atCap.errors).toBeUndefined();
  });

  it('refuses an overlong cursor and id, naming each', async () => {
    expect(
      await refused('query ($after: String) { products(after: $after) { totalCount } }', {
        after: HUGE,
      }),
    ).toMatchObject({ fields: [{ field: 'after', constraint: 'maxLength' }], statements: 0 });
    expect(
      await refused('query ($id: ID!) { product(id: $id) { id } }', { id: '1'.repeat(1000) }),
    ).toMatchObject({ fields: [{ field: 'id', constraint: 'maxLength' }], statements: 0 });
  });

  it('names a NUL in products(search:) as search, not input.search', async () => {
    expect(
      await refused('query ($search: String) { products(search: $search) { totalCount } }', {
        search: 'a\u0000b',
      }),
    ).toMatchObject({
      code: 'BAD_USER_INPUT',
      fields: [{ field: 'search', constraint: 'noNulCharacters' }],
      statements: 0,
    });
  });

  it('names nested input fields by their path, and reports every problem at once', async () => {
    const result = await refused(
      'mutation ($input: CreateProductInput!) { createProduct(input: $input) { id } }',
      { input: { sku: 'OK-1', name: 'n'.repeat(300), description: 'd\u0000', price: '-1' } },
      admin,
    );
    expect(result).toMatchObject({ code: 'BAD_USER_INPUT', statements: 0 });
    expect(result.fields).toEqual([
      { field: 'input.name', constraint: 'maxLength', message: 'must be at most 200 characters' },
      {
        field: 'input.description',
        constraint: 'noNulCharacters',
        message: 'must not contain NUL characters',
      },
      expect.objectContaining({ field: 'input.price', constraint: 'isMoney' }),
    ]);
  });

  it('names the input of a mutation with several arguments: updateProduct(id, input)', async () => {
    const result = await refused(
      'mutation ($input: UpdateProductInput!) { updateProduct(id: "1", input: $input) { id } }',
      { input: { description: 'd'.repeat(5001) } },
      admin,
    );
    expect(result).toMatchObject({
      fields: [{ field: 'input.description', constraint: 'maxLength' }],
      statements: 0,
    });
  });

  it('names a review text by its path', async () => {
    const result = await refused(
      'mutation ($input: AddReviewInput!) { addReview(input: $input) { id } }',
      { input: { productId: '1', rating: 9, title: 't'.repeat(201) } },
      admin,
    );
    expect(result.fields).toEqual([
      expect.objectContaining({ field: 'input.title', constraint: 'maxLength' }),
      expect.objectContaining({ field: 'input.rating', constraint: 'max' }),
    ]);
  });
});
