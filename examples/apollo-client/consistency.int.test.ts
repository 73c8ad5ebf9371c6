import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createProduct } from '../../test/support/factories';
import {
  startReplicatedServer,
  type ReplicatedServer,
  type StreamingPair,
} from '../../test/support/replica';
import type { TestServer } from '../../test/support/server';
import { renameProduct } from './src/catalog';
import { createCatalogClient } from './src/client';
import { ConsistencyLink } from './src/consistency-link';
import { ProductByIdDocument } from './src/generated/graphql';

/** The example client against a server with a read replica that is made to lag. */
describe('the Apollo Client example with read replicas', () => {
  let pair: StreamingPair;
  let server: TestServer;
  let replicated: ReplicatedServer | undefined;
  let productId: string;

  beforeAll(async () => {
    replicated = await startReplicatedServer({ env: { CONSISTENCY_WAIT_MS: '100' } });
    ({ pair, server } = replicated);
    productId = String((await createProduct(server.orm, { name: 'Walnut desk' })).id);
    await pair.caughtUp();
  });
  afterAll(async () => {
    await replicated?.close();
  });

  const client = (consistency: ConsistencyLink, token?: string) =>
    createCatalogClient({ uri: `${server.url}/graphql`, token, consistency });
  /** A read from the server, not the cache (another screen, or a reload). */
  const nameFromServer = async (consistency: ConsistencyLink) => {
    const { data } = await client(consistency).query({
      query: ProductByIdDocument,
      variables: { id: productId },
      fetchPolicy: 'network-only',
    });
    return data?.product?.name;
  };

  it('never shows the old value after its own write, though the replica lags', async () => {
    const consistency = new ConsistencyLink();
    expect(await nameFromServer(consistency)).toBe('Walnut desk');
    await pair.pauseReplay();
    try {
      const admin = await server.token({ sub: 'editor', roles: ['admin'] });
      await renameProduct(client(consistency, admin), productId, 'Oak desk');
      expect(consistency.current).toBeDefined();
      for (let read = 0; read < 5; read += 1) {
        expect(await nameFromServer(consistency)).toBe('Oak desk');
      }
      // The replica does lag: a client that has not written (no token) still reads it there.
      expect(await nameFromServer(new ConsistencyLink())).toBe('Walnut desk');
    } finally {
      await pair.resumeReplay();
    }
    // Caught up: the token is met by the replica, and the answer is the same.
    expect(await nameFromServer(consistency)).toBe('Oak desk');
  });

  it('keeps the highest token it has seen', () => {
    const link = new ConsistencyLink();
    const token = (lsn: string) =>
      `e30.${Buffer.from(JSON.stringify({ lsn })).toString('base64url')}.sig`;
    link.keep(token('0/3000100'));
    link.keep(token('0/2FFFFFF')); // older: ignored
    expect(link.current).toBe(token('0/3000100'));
    link.keep(token('1/0'));
    link.keep('garbage');
    expect(link.current).toBe(token('1/0'));
  });
});
