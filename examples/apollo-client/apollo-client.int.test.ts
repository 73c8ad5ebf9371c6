import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { createCategory, createProducts } from '../../test/support/factories';
import { startTestServer, type TestServer } from '../../test/support/server';
import { loadProductPages, readProduct, renameProduct } from './src/catalog';
import { createCatalogClient } from './src/client';
import { ProductsPageDocument } from './src/generated/graphql';

/** The example front end, run against the real server over HTTP, as a browser app would. */

let server: TestServer;
let categoryId: string;
/** Every request the client sends, as JSON bodies (GET requests as their query string). */
const sent: Record<string, unknown>[] = [];
const countingFetch: typeof fetch = async (input, init) => {
  const body = typeof init?.body === 'string' ? init.body : undefined;
  sent.push(
    body
      ? (JSON.parse(body) as Record<string, unknown>)
      : { url: input instanceof Request ? input.url : String(input) },
  );
  return fetch(input, init);
};

beforeAll(async () => {
  server = await startTestServer();
  const category = await createCategory(server.orm);
  categoryId = String(category.id);
  await createProducts(
    server.orm,
    Array.from({ length: 23 }, (_, i) => ({
      name: `Item ${String(i).padStart(2, '0')}`,
      category,
      price: `${i + 1}.00`,
    })),
  );
});
afterAll(() => server.close());

const client = (token?: string) =>
  createCatalogClient({ uri: `${server.url}/graphql`, token, fetch: countingFetch });
const variables = () => ({
  first: 5,
  filter: { categoryId },
  orderBy: { field: 'PRICE' as const, direction: 'ASC' as const },
});

describe('the Apollo Client example', () => {
  it('pages through products: pages accumulate in the cache without duplicates', async () => {
    const apollo = client();
    const products = await loadProductPages(apollo, variables());
    expect(products.map((p) => p.name)).toEqual(
      Array.from({ length: 23 }, (_, i) => `Item ${String(i).padStart(2, '0')}`),
    );
    expect(new Set(products.map((p) => p.id)).size).toBe(23);
    const cached = apollo.readQuery({ query: ProductsPageDocument, variables: variables() });
    expect(cached?.products.edges).toHaveLength(23);
    expect(cached?.products.pageInfo.hasNextPage).toBe(false);
  });

  it('reads a product the list already loaded from the cache, without a request', async () => {
    const apollo = client();
    const [first] = await loadProductPages(apollo, variables(), 1);
    sent.length = 0;
    const product = await readProduct(apollo, first!.id);
    expect(product).toMatchObject({ id: first!.id, name: first!.name, price: first!.price });
    expect(sent).toEqual([]);
  });

  it("updates the cached product everywhere with a mutation's result", async () => {
    const token = await server.token({ sub: 'editor', roles: ['admin'] });
    const apollo = client(token);
    const [first] = await loadProductPages(apollo, variables(), 1);
    const renamed = await renameProduct(apollo, first!.id, 'Item 00 (renamed)', first!.version);
    expect(renamed).toMatchObject({ name: 'Item 00 (renamed)', version: first!.version + 1 });
    const list = apollo.readQuery({ query: ProductsPageDocument, variables: variables() });
    expect(list?.products.edges[0]?.node).toMatchObject({
      name: 'Item 00 (renamed)',
      version: first!.version + 1,
    });
    sent.length = 0;
    expect((await readProduct(apollo, first!.id))?.name).toBe('Item 00 (renamed)');
    expect(sent).toEqual([]);
  });

  it('uses automatic persisted queries: a hash first, the document once, then hashes only', async () => {
    const apollo = client();
    sent.length = 0;
    await readProduct(apollo, '999999'); // a product that does not exist: null, fetched
    const second = client();
    await readProduct(second, '999998');
    const shapes = sent.map((body) => [
      Boolean(body.query),
      Boolean((body.extensions as { persistedQuery?: unknown })?.persistedQuery),
    ]);
    // 1st client: hash only → PERSISTED_QUERY_NOT_FOUND → hash + document. 2nd: hash only.
    expect(shapes).toEqual([
      [false, true],
      [true, true],
      [false, true],
    ]);
  });
});

describe('generated types', () => {
  it('are up to date with schema/schema.graphql and the operations (npm run codegen)', () => {
    expect(() =>
      execFileSync('npx', ['graphql-codegen', '--config', 'codegen.ts', '--check'], {
        cwd: __dirname,
        stdio: 'pipe',
      }),
    ).not.toThrow();
  });
});
