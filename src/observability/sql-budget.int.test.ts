import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createCategory, createProducts, createReviews } from '../../test/support/factories';
import { startTestServer, type TestServer } from '../../test/support/server';
import { WORKLOADS } from '../../bench/workloads';

/** The SQL budget of the benchmark's workloads: a regression shows here before users see it. */

type Spend = { statements: number; durationMs: number };
let server: TestServer;

beforeAll(async () => {
  server = await startTestServer({ env: { NODE_ENV: 'development' } });
  for (let c = 0; c < 3; c++) {
    const category = await createCategory(server.orm);
    const products = await createProducts(
      server.orm,
      Array.from({ length: 12 }, () => ({ category })),
    );
    for (const product of products.slice(0, 4))
      await createReviews(server.orm, product, [5, 4, 3, 2]);
  }
});
afterAll(() => server.close());

async function spend(query: string, variables: Record<string, unknown> = {}): Promise<Spend> {
  const response = await server.gql<unknown>(query, variables);
  expect(response.errors).toBeUndefined();
  return (response as unknown as { extensions: { sql: Spend } }).extensions.sql;
}

const byName = (name: string) => WORKLOADS.find((w) => w.name === name)!;

describe('extensions.sql in development', () => {
  it.each([
    ['W1', 1], // the product with its category
    ['W2', 1], // the page, each product with its category
    ['W3', 3], // the categories, a page of each, the reviews of every product
  ])('%s runs %i statements, on graphql-js and once compiled', async (name, budget) => {
    const workload = WORKLOADS.find((w) => w.name === name)!;
    // The first run on graphql-js, the next two compiled (GRAPHQL_COMPILE_AFTER=2).
    for (let run = 0; run < 3; run++) {
      const result = await spend(workload.query, workload.variables(run));
      expect(result.statements).toBe(budget);
      expect(result.durationMs).toBeGreaterThanOrEqual(0);
    }
  });

  it('attributes statements to the request that ran them, even when requests overlap', async () => {
    const [w1, w3] = [byName('W1'), byName('W3')];
    const results = await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        i % 2 ? spend(w1.query, w1.variables(0)) : spend(w3.query, w3.variables(0)),
      ),
    );
    expect(results.map((r) => r.statements)).toEqual([3, 1, 3, 1, 3, 1]);
  });

  /** W4's write, on the nth product of this database (its ids are not the benchmark's). */
  async function write(token: string, stock: number, nth = 0) {
    const { query } = WORKLOADS.find((w) => w.name === 'W4')!.write!;
    const products = await server.sql<{ id: number }>('select id from product order by id');
    return server.gql(query, { id: String(products[nth]!.id), stock }, { token });
  }

  it('books a mutation whole: BEGIN, the read, the UPDATE and COMMIT', async () => {
    const response = await write(await server.token({ sub: 'bench', roles: ['admin'] }), 7);
    expect(response.errors).toBeUndefined();
    expect((response as unknown as { extensions: { sql: Spend } }).extensions.sql.statements).toBe(
      4,
    );
  });

  it('books each statement to its own request while writes and reads overlap', async () => {
    const token = await server.token({ sub: 'bench', roles: ['admin'] });
    const w1 = WORKLOADS[0]!;
    const results = await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        i % 2 ? write(token, 100 + i, i) : server.gql(w1.query, w1.variables(i)),
      ),
    );
    const statements = results.map(
      (r) => (r as unknown as { extensions: { sql: Spend } }).extensions.sql.statements,
    );
    expect(statements).toEqual([1, 4, 1, 4, 1, 4]);
  });
});

describe('in production', () => {
  let production: TestServer;
  beforeAll(async () => {
    production = await startTestServer({
      env: { NODE_ENV: 'production', JWT_SECRET: 'p'.repeat(40) },
    });
  });
  afterAll(() => production.close());

  it('keeps the spend out of responses and in the metrics', async () => {
    const response = await production.gql('query Budgeted { categories { id } }');
    expect(response).not.toHaveProperty('extensions');
    const metrics = await (await fetch(`${production.url}/metrics`)).text();
    expect(metrics).toMatch(/graphql_operation_sql_statements_count\{operation="Budgeted"\} 1/);
    expect(metrics).toMatch(/graphql_operation_sql_statements_sum\{operation="Budgeted"\} 1/);
  });
});
