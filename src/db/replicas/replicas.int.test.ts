import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { createHmac } from 'node:crypto';
import type { Category } from '../../catalog/category/category.entity';
import type { Product } from '../../catalog/product/product.entity';
import { createCategory, createProducts } from '../../../test/support/factories';
import {
  startReplicatedServer,
  type ReplicatedServer,
  type StreamingPair,
} from '../../../test/support/replica';
import { startTestServer, type TestServer } from '../../../test/support/server';
import { ConsistencyTokens, consistencySecret } from './consistency-token';

/** Longer than any test's own steps: a read that waited this long fell back to the primary. */
const WAIT_MS = 3000;

/**
 * DATABASE_REPLICA_URLS against a real streaming replica whose data differs from the primary's
 * (replay paused after a primary write): which server answered shows in what the answer says.
 */
describe('read replicas', () => {
  let pair: StreamingPair;
  let server: TestServer;
  let replicated: ReplicatedServer | undefined;
  let admin: string;
  let category: Category;
  let products: Product[];

  beforeAll(async () => {
    replicated = await startReplicatedServer({ env: { CONSISTENCY_WAIT_MS: String(WAIT_MS) } });
    ({ pair, server } = replicated);
    admin = await server.token({ sub: 'admin', roles: ['admin'] });
  });
  afterAll(async () => {
    await replicated?.close();
  });

  beforeEach(async () => {
    await pair.resumeReplay();
    category = await createCategory(server.orm, { name: 'Lamps' });
    products = await createProducts(
      server.orm,
      ['Brass lamp', 'Paper lamp', 'Stone lamp'].map((name) => ({ name, category })),
    );
    await pair.caughtUp();
  });

  /** The primary moves on; the replica stays where it is. */
  async function diverge(): Promise<void> {
    await pair.pauseReplay();
    await server.sql(`update product set name = 'Renamed lamp' where id = $1`, [products[0]!.id]);
    await server.sql(
      `insert into product (sku, name, price, stock, category_id) values ($1, 'Glass lamp', 10, 1, $2)`,
      [`SKU-${Date.now()}`, category.id],
    );
  }

  /** Every kind of read: a page, its counts and facets, a product by id, loaders, search. */
  const everyRead = (productId: number, categoryId: number) => `{
    products(filter: { categoryId: "${categoryId}" }, first: 10, orderBy: { field: NAME, direction: ASC }) {
      totalCount
      cappedCount(cap: 100) { count }
      facets { categories { count } inStock { count } }
      edges { node { name category { name products(first: 10) { totalCount } } } }
    }
    product(id: "${productId}") { name }
    category(id: "${categoryId}") { name products(first: 10) { edges { node { name } } } }
    found: products(search: "lamp", filter: { categoryId: "${categoryId}" }) {
      totalCount(mode: ESTIMATED)
      edges { node { name } }
    }
  }`;

  it('answers every read of a query from one server: the replica, all of it', async () => {
    await diverge();
    // Three times: graphql-js first, then compiled (the fast path), as the server runs them.
    for (let run = 0; run < 3; run += 1) {
      const response = await server.gql<ReadAll>(everyRead(products[0]!.id, category.id));
      expect(response.errors).toBeUndefined();
      expect(seenFrom(response.data!)).toEqual({
        names: ['Brass lamp', 'Paper lamp', 'Stone lamp'],
        counts: [3, 3, 3],
        product: 'Brass lamp',
      });
    }
  });

  it('runs a mutation on the primary and reads its payload there', async () => {
    await diverge();
    const response = await fetchGql(
      `mutation { updateProduct(id: "${products[1]!.id}", input: { name: "Paper lantern" }) { name version } }`,
      { authorization: `Bearer ${admin}` },
    );
    expect(response.body).toMatchObject({
      data: { updateProduct: { name: 'Paper lantern', version: 2 } },
    });
    expect(response.token).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);
    expect(response.body.extensions?.consistency?.token).toBe(response.token);
  });

  describe('read-your-writes', () => {
    const nameOf = async (id: number, headers: Record<string, string> = {}) => {
      const response = await fetchGql(`{ product(id: "${id}") { name } }`, headers);
      expect(response.body.errors).toBeUndefined();
      return response;
    };

    it('serves a read with the token of a write the replica has not replayed from the primary', async () => {
      await pair.pauseReplay();
      const written = await fetchGql(
        `mutation { updateProduct(id: "${products[2]!.id}", input: { name: "Marble lamp" }) { name } }`,
        { authorization: `Bearer ${admin}` },
      );
      const token = written.token!;
      // Without the token: the replica's (old) answer.
      expect((await nameOf(products[2]!.id)).body.data).toEqual({
        product: { name: 'Stone lamp' },
      });
      const started = Date.now();
      const read = await nameOf(products[2]!.id, { 'x-consistency-token': token });
      expect(read.body.data).toEqual({ product: { name: 'Marble lamp' } });
      expect(Date.now() - started).toBeGreaterThanOrEqual(WAIT_MS - 50); // it waited first
    });

    it('serves it from the replica once it has replayed past the token, waiting for it', async () => {
      await pair.pauseReplay();
      const written = await fetchGql(
        `mutation { updateProduct(id: "${products[2]!.id}", input: { name: "Onyx lamp" }) { name } }`,
        { authorization: `Bearer ${admin}` },
      );
      const started = Date.now();
      const reading = nameOf(products[2]!.id, { 'x-consistency-token': written.token! });
      await new Promise((resolve) => setTimeout(resolve, 100));
      await pair.resumeReplay();
      const read = await reading;
      expect(read.body.data).toEqual({ product: { name: 'Onyx lamp' } });
      // Answered well before the wait ran out: by the replica, which had caught up.
      expect(Date.now() - started).toBeLessThan(WAIT_MS - 1000);
      // And it vouches for a position at least the write's.
      expect(lsnOf(read.token!)).toBeGreaterThanOrEqual(lsnOf(written.token!));
    });

    it('returns the position a replica read was served at', async () => {
      const read = await nameOf(products[0]!.id);
      const [{ lsn }] = (await pair.replicaSql<{ lsn: string }>(
        'select pg_last_wal_replay_lsn()::text as lsn',
      )) as [{ lsn: string }];
      expect(read.body.extensions?.consistency?.token).toBe(read.token);
      expect(lsnOf(read.token!)).toBeLessThanOrEqual(lsnValue(lsn));
      expect(lsnOf(read.token!)).toBeGreaterThan(0n);
    });

    it('vouches, for a read that shows a write, for a position at or past that write', async () => {
      // Health checks a minute apart: what the replica replayed since its last one is unknown
      // to the server (its position from then is older than what it now serves).
      const slowChecks = await startTestServer({
        database: { url: pair.primaryUrl },
        env: { DATABASE_REPLICA_URLS: pair.replicaUrl, DATABASE_REPLICA_CHECK_MS: '60000' },
      });
      try {
        await nameOf(products[1]!.id); // the replica is up and in the rotation
        await server.sql(`update product set name = 'Jade lamp' where id = $1`, [products[1]!.id]);
        const [{ lsn: written }] = (await pair.primarySql<{ lsn: string }>(
          'select pg_current_wal_insert_lsn()::text as lsn',
        )) as [{ lsn: string }];
        await pair.caughtUp();
        const read = await fetchGql(
          `{ product(id: "${products[1]!.id}") { name } }`,
          {},
          slowChecks.url,
        );
        expect(read.body.data).toEqual({ product: { name: 'Jade lamp' } });
        // Sent on, it keeps the client from a replica that has not replayed what it has seen.
        expect(lsnOf(read.token!)).toBeGreaterThanOrEqual(lsnValue(written));
      } finally {
        await slowChecks.close();
      }
    });

    it('ignores a token that is forged, altered, garbled or of another kind: no error, the replica', async () => {
      await diverge();
      const written = await fetchGql(
        `mutation { updateProduct(id: "${products[1]!.id}", input: { name: "Paper globe" }) { name } }`,
        { authorization: `Bearer ${admin}` },
      );
      const [header, payload] = written.token!.split('.') as [string, string];
      const claims = JSON.parse(Buffer.from(payload, 'base64url').toString()) as Record<
        string,
        unknown
      >;
      const forge = (body: Record<string, unknown>, key: string) => {
        const input = `${header}.${Buffer.from(JSON.stringify(body)).toString('base64url')}`;
        return `${input}.${createHmac('sha256', key).update(input).digest('base64url')}`;
      };
      const ignored = [
        forge({ ...claims, lsn: 'FFFFFFFF/FFFFFFFF' }, 'x'.repeat(40)), // not our key
        `${header}.${Buffer.from(JSON.stringify({ ...claims, lsn: 'FF/0' })).toString('base64url')}.${written.token!.split('.')[2]}`, // altered
        'not-a-token',
        admin, // a bearer token is not a consistency token
      ];
      for (const token of ignored) {
        const read = await nameOf(products[1]!.id, { 'x-consistency-token': token });
        expect(read.body.data).toEqual({ product: { name: 'Paper lamp' } });
      }
    });

    it('ignores an expired token', async () => {
      await pair.pauseReplay();
      await fetchGql(
        `mutation { updateProduct(id: "${products[1]!.id}", input: { name: "Paper moon" }) { name } }`,
        { authorization: `Bearer ${admin}` },
      );
      // Signed with the server's own key, for a position past the write, but expired.
      const tokens = new ConsistencyTokens(consistencySecret(server.config)!, 60);
      const expired = tokens.sign(0xffffffffffffn, Date.now() - 120_000);
      const read = await nameOf(products[1]!.id, { 'x-consistency-token': expired });
      expect(read.body.data).toEqual({ product: { name: 'Paper lamp' } });
      // The same token, not expired, is honoured: the expiry alone made the difference.
      const valid = tokens.sign(0xffffffffffffn);
      const honoured = await nameOf(products[1]!.id, { 'x-consistency-token': valid });
      expect(honoured.body.data).toEqual({ product: { name: 'Paper moon' } });
    });
  });

  interface FetchedGql {
    body: {
      data?: unknown;
      errors?: unknown[];
      extensions?: { consistency?: { token?: string } };
    };
    token: string | null;
  }

  async function fetchGql(
    query: string,
    headers: Record<string, string> = {},
    url = server.url,
  ): Promise<FetchedGql> {
    const response = await fetch(`${url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify({ query }),
    });
    return {
      body: (await response.json()) as FetchedGql['body'],
      token: response.headers.get('x-consistency-token'),
    };
  }
});

interface ReadAll {
  products: {
    totalCount: number;
    cappedCount: { count: number };
    facets: { categories: { count: number }[] };
    edges: { node: { name: string; category: { products: { totalCount: number } } } }[];
  };
  product: { name: string };
  category: { products: { edges: { node: { name: string } }[] } };
  found: { edges: { node: { name: string } }[] };
}

/** What a response says about the data it was read from, in one comparable shape. */
function seenFrom(data: ReadAll) {
  const names = data.products.edges.map((e) => e.node.name);
  expect(data.category.products.edges.map((e) => e.node.name).sort()).toEqual(names);
  expect(data.found.edges.map((e) => e.node.name).sort()).toEqual(names);
  expect(data.products.edges.map((e) => e.node.category.products.totalCount)).toEqual(
    names.map(() => data.products.totalCount),
  );
  expect(data.products.cappedCount.count).toBe(data.products.totalCount);
  return {
    names,
    counts: [
      data.products.totalCount,
      data.products.cappedCount.count,
      data.products.facets.categories.reduce((sum, c) => sum + c.count, 0),
    ],
    product: data.product.name,
  };
}

function lsnOf(token: string): bigint {
  const payload = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()) as {
    lsn: string;
  };
  return lsnValue(payload.lsn);
}

function lsnValue(text: string): bigint {
  const [high, low] = text.split('/') as [string, string];
  return (BigInt(`0x${high}`) << 32n) | BigInt(`0x${low}`);
}
