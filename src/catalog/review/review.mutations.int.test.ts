import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { createProduct, createReviews } from '../../../test/support/factories';
import { expectServerHealthy } from '../../../test/support/health';
import { startTestServer, type TestServer } from '../../../test/support/server';
import type { Product } from '../product/product.entity';

let server: TestServer;
let alice: string;
let bob: string;
let admin: string;

beforeAll(async () => {
  server = await startTestServer();
  alice = await server.token({ sub: 'alice-1', name: 'Alice' });
  bob = await server.token({ sub: 'bob-2' });
  admin = await server.token({ sub: 'root', roles: ['admin'] });
});
afterEach(() => expectServerHealthy(server));
afterAll(() => server.close());

const ADD = `mutation ($input: AddReviewInput!) {
  addReview(input: $input) {
    id rating title author
    product { reviewCount averageRating reviews(first: 5) { totalCount edges { node { rating } } } }
  }
}`;

interface AddResult {
  addReview: {
    id: string;
    rating: number;
    title: string | null;
    author: string;
    product: {
      reviewCount: number;
      averageRating: number;
      reviews: { totalCount: number; edges: { node: { rating: number } }[] };
    };
  };
}

describe('Mutation.addReview', () => {
  it("writes the review as the token's user and updates the counts in the same response", async () => {
    const product = await createProduct(server.orm);
    await createReviews(server.orm, product, [2]);
    const response = await server.gql<AddResult>(
      ADD,
      { input: { productId: String(product.id), rating: 5, title: 'Great' } },
      { token: alice },
    );
    expect(response.errors).toBeUndefined();
    expect(response.data?.addReview).toMatchObject({
      rating: 5,
      title: 'Great',
      author: 'Alice',
      product: { reviewCount: 2, averageRating: 3.5, reviews: { totalCount: 2 } },
    });
    expect(response.data?.addReview.product.reviews.edges.map((e) => e.node.rating).sort()).toEqual(
      [2, 5],
    );
    const [row] = await server.sql('select author, author_id from review where id = $1', [
      Number(response.data?.addReview.id),
    ]);
    expect(row).toEqual({ author: 'Alice', author_id: 'alice-1' });

    const next = await server.gql<{ product: { reviewCount: number; averageRating: number } }>(
      `{ product(id: "${product.id}") { reviewCount averageRating } }`,
    );
    expect(next.data?.product).toEqual({ reviewCount: 2, averageRating: 3.5 });
  });

  it('shows each of two reviews added in one request in that request', async () => {
    const product = await createProduct(server.orm);
    const response = await server.gql<{ a: AddResult['addReview']; b: AddResult['addReview'] }>(
      `mutation ($id: ID!) {
        a: addReview(input: { productId: $id, rating: 4 }) { product { reviewCount reviews { totalCount } } }
        b: addReview(input: { productId: $id, rating: 2 }) { product { reviewCount reviews { totalCount } } }
      }`,
      { id: String(product.id) },
      { token: alice },
    );
    expect(response.data?.a.product).toEqual({ reviewCount: 1, reviews: { totalCount: 1 } });
    expect(response.data?.b.product).toEqual({ reviewCount: 2, reviews: { totalCount: 2 } });
  });

  it('keeps exact counts when 20 reviews of one product are written at once', async () => {
    const product = await createProduct(server.orm);
    const ratings = Array.from({ length: 20 }, (_, i) => (i % 5) + 1);
    const tokens = await Promise.all(ratings.map((_, i) => server.token({ sub: `rater-${i}` })));
    const responses = await Promise.all(
      ratings.map((rating, i) =>
        server.gql(ADD, { input: { productId: String(product.id), rating } }, { token: tokens[i] }),
      ),
    );
    expect(responses.filter((r) => r.errors)).toEqual([]);
    const [row] = await server.sql(
      'select review_count, rating_average::text from product where id = $1',
      [product.id],
    );
    expect(row).toEqual({ review_count: 20, rating_average: '3.0000' });
  });

  it('needs a signed-in user, a product that exists and a rating from 1 to 5', async () => {
    const product = await createProduct(server.orm);
    const input = { productId: String(product.id), rating: 4 };
    expect((await server.gql(ADD, { input })).errors?.[0]?.extensions?.code).toBe(
      'UNAUTHENTICATED',
    );
    const missing = await server.gql(
      ADD,
      { input: { ...input, productId: '888888' } },
      { token: alice },
    );
    expect(missing.errors?.[0]?.extensions).toMatchObject({
      code: 'NOT_FOUND',
      field: 'input.productId',
    });
    const invalid = await server.gql(
      ADD,
      { input: { ...input, rating: 6, title: 't'.repeat(201) } },
      { token: alice },
    );
    expect(
      invalid.errors?.[0]?.extensions?.fields?.map((f) => `${f.field}:${f.constraint}`).sort(),
    ).toEqual(['input.rating:max', 'input.title:maxLength']);
    const [row] = await server.sql<{ n: number }>(
      'select count(*)::int as n from review where product_id = $1',
      [product.id],
    );
    expect(row!.n).toBe(0);
  });

  it('has no author field: nobody writes in another name', async () => {
    const product = await createProduct(server.orm);
    const response = await server.gql(
      ADD,
      { input: { productId: String(product.id), rating: 3, author: 'Mallory' } },
      { token: alice },
    );
    expect(response.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
  });
});

describe('Mutation.deleteReview', () => {
  const DELETE = `mutation ($id: ID!) { deleteReview(id: $id) }`;

  async function aliceReview(): Promise<{ id: string; product: Product }> {
    const product = await createProduct(server.orm);
    const response = await server.gql<AddResult>(
      ADD,
      { input: { productId: String(product.id), rating: 1 } },
      { token: alice },
    );
    return { id: response.data!.addReview.id, product };
  }

  it("lets the author delete their review, and updates the product's counts", async () => {
    const { id, product } = await aliceReview();
    const response = await server.gql(DELETE, { id }, { token: alice });
    expect(response.data).toEqual({ deleteReview: id });
    const [row] = await server.sql(
      `select (select count(*)::int from review where id = $1) as reviews,
              p.review_count, p.rating_average
         from product p where p.id = $2`,
      [Number(id), product.id],
    );
    expect(row).toEqual({ reviews: 0, review_count: 0, rating_average: null });
  });

  it('refuses another user (FORBIDDEN) and anonymous callers, but lets an admin', async () => {
    const { id } = await aliceReview();
    expect((await server.gql(DELETE, { id }, { token: bob })).errors?.[0]?.extensions?.code).toBe(
      'FORBIDDEN',
    );
    expect((await server.gql(DELETE, { id })).errors?.[0]?.extensions?.code).toBe(
      'UNAUTHENTICATED',
    );
    expect((await server.gql(DELETE, { id }, { token: admin })).data).toEqual({ deleteReview: id });
    expect((await server.gql(DELETE, { id }, { token: admin })).errors?.[0]?.extensions?.code).toBe(
      'NOT_FOUND',
    );
  });
});
