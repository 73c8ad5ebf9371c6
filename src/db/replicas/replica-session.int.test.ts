import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import type { EntityManager } from '@mikro-orm/postgresql';
import { OperationTypeNode } from 'graphql';
import pino from 'pino';
import { Category } from '../../catalog/category/category.entity';
import { Product } from '../../catalog/product/product.entity';
import { createContext, endSession, type Context } from '../../graphql/context';
import { selectRows } from '../../shared/sql';
import { createCategory, createProduct } from '../../../test/support/factories';
import {
  startReplicatedServer,
  until,
  type ReplicatedServer,
  type StreamingPair,
} from '../../../test/support/replica';
import type { TestServer } from '../../../test/support/server';
import { parseLsn } from './lsn';
import { replicasOf } from './targets';

/**
 * With a replica configured, a request's session is forked once (from where it reads), and any
 * read of a query pinned to a replica — selectRows or the ORM's own — that fails there is
 * answered by the primary, with a position that vouches for the primary's data.
 */
describe('a request session with a replica', () => {
  let pair: StreamingPair;
  let server: TestServer;
  let replicated: ReplicatedServer | undefined;
  let admin: string;
  let product: Product;
  let category: Category;

  beforeAll(async () => {
    replicated = await startReplicatedServer({ env: { DATABASE_REPLICA_CHECK_MS: '100' } });
    ({ pair, server } = replicated);
    admin = await server.token({ sub: 'admin', roles: ['admin'] });
    category = await createCategory(server.orm, { name: 'Kitchen' });
    product = await createProduct(server.orm, { name: 'Whisk', category });
    await pair.caughtUp();
  });
  afterAll(async () => {
    jest.restoreAllMocks();
    await replicated?.close();
  });

  describe('forks', () => {
    /** Counts the sessions forked from each engine while `run` runs (MikroORM's fork, called through). */
    async function forksDuring(run: () => Promise<void>) {
      const replica = replicasOf(server.orm)!.replicas[0]!.orm;
      const primaryFork = jest.spyOn(server.orm.em, 'fork');
      const replicaFork = jest.spyOn(replica.em, 'fork');
      try {
        await run();
        return { primary: primaryFork.mock.calls.length, replica: replicaFork.mock.calls.length };
      } finally {
        primaryFork.mockRestore();
        replicaFork.mockRestore();
      }
    }

    it('forks one session for a query, from the replica it is pinned to', async () => {
      // Three runs: graphql-js first, then compiled (the fast path), as the server runs them.
      for (let run = 0; run < 3; run += 1) {
        const forks = await forksDuring(async () => {
          const response = await server.gql(
            `{ product(id: "${product.id}") { name category { name } } products(first: 2) { totalCount } }`,
          );
          expect(response.errors).toBeUndefined();
        });
        expect(forks).toEqual({ primary: 0, replica: 1 });
      }
    });

    it('forks one session for a mutation, from the primary', async () => {
      const forks = await forksDuring(async () => {
        const response = await server.gql(
          `mutation { updateProduct(id: "${product.id}", input: { description: "Balloon" }) { name } }`,
          {},
          { token: admin },
        );
        expect(response.errors).toBeUndefined();
      });
      expect(forks).toEqual({ primary: 1, replica: 0 });
      await pair.caughtUp();
    });
  });

  /** A request's context as the server makes it with replicas: its session not forked yet. */
  const routedContext = async (id: string) =>
    createContext(
      server.orm,
      { id, log: pino({ level: 'silent' }) },
      null,
      undefined,
      await replicasOf(server.orm)!.session(undefined),
    );

  it('drops the session with the request: reading it after the end throws', async () => {
    const context = await routedContext('r0');
    await context.route(OperationTypeNode.QUERY);
    expect(await context.em.count(Category, {})).toBeGreaterThan(0);
    endSession(context);
    expect(() => context.em).toThrow('This request has ended');
    expect(() => context.loaders).toThrow('This request has ended');
    // Never made before the end (a mutation's session on the primary): not made after it either.
    const unused = await routedContext('r0b');
    endSession(unused);
    expect(() => unused.em).toThrow('This request has ended');
  });

  describe('a replica that fails a read after the query was pinned to it', () => {
    let context: Context;
    let primaryPosition: bigint;

    beforeAll(async () => {
      // The primary moves on; the replica stays behind, so which server answered shows.
      await pair.pauseReplay();
      await server.sql(`update product set name = 'Balloon whisk' where id = $1`, [product.id]);
      await createCategory(server.orm, { name: 'Garden' });
      const [row] = await pair.primarySql<{ lsn: string }>(
        'select pg_current_wal_insert_lsn()::text as lsn',
      );
      primaryPosition = parseLsn(row!.lsn)!;
      context = await routedContext('r1');
      await context.route(OperationTypeNode.QUERY);
      expect(context.routing?.target.name).toBe('replica1');
      // Pinned: what the replica says, and the position it vouches for, below the primary's.
      expect(await context.em.count(Category, {})).toBe(1);
      await context.settle(); // as the operation's end does: the position read after the reads
      expect(context.routing!.position!).toBeLessThan(primaryPosition);
      await pair.stopReplica();
    });
    afterAll(async () => {
      await pair.startReplica();
      await pair.resumeReplay();
      await until(
        async () => replicasOf(server.orm)!.replicas[0]!.state === 'up',
        'the replica to be back',
      );
    });

    it('answers em.count, em.find and em.findAndCount from the primary', async () => {
      const em: EntityManager = context.em;
      expect(await em.count(Category, {})).toBe(2);
      expect((await em.find(Product, { id: product.id })).map((p) => p.name)).toEqual([
        'Balloon whisk',
      ]);
      const [categories, total] = await em.findAndCount(Category, {}, { orderBy: { name: 'asc' } });
      expect([categories.map((c) => c.name), total]).toEqual([['Garden', 'Kitchen'], 2]);
    });

    it('answers selectRows from the primary', async () => {
      await expect(
        selectRows<{ name: string; standby: boolean }>(
          context.em,
          'select name, pg_is_in_recovery() as standby from product where id = ?',
          [product.id],
        ),
      ).resolves.toEqual([{ name: 'Balloon whisk', standby: false }]);
    });

    it("vouches for the primary's position once a read fell back there", async () => {
      expect(context.routing!.fellBack).toBe(true);
      expect(context.routing!.position!).toBeGreaterThanOrEqual(primaryPosition);
      await context.settle(); // the operation's end keeps it (the replica's would be lower)
      expect(context.routing!.position!).toBeGreaterThanOrEqual(primaryPosition);
    });
  });
});
