import { ApolloClient, ApolloLink, HttpLink, InMemoryCache } from '@apollo/client';
import { PersistedQueryLink } from '@apollo/client/link/persisted-queries';
import { SetContextLink } from '@apollo/client/link/context';
import { relayStylePagination } from '@apollo/client/utilities';
import { createHash } from 'node:crypto';
import { ConsistencyLink } from './consistency-link';

export interface CatalogClientOptions {
  /** The server's GraphQL endpoint, e.g. http://localhost:4000/graphql. */
  uri: string;
  /** A bearer token (`npm run token` in development) for mutations. */
  token?: string;
  /** A fetch to use instead of the global one (tests count requests through it). */
  fetch?: typeof fetch;
  /** Keeps and sends the consistency token (read-your-writes with replicas); one per client. */
  consistency?: ConsistencyLink;
}

/**
 * The normalized cache the catalog wants:
 * - `products` pages merge into one list per filter/order (Relay cursors), never duplicated;
 * - every Product, Category and Review is stored once, by id, so a mutation's result updates
 *   every list and detail that shows it;
 * - `product(id)` is answered from that store when the product is already there.
 */
export function createCatalogCache(): InMemoryCache {
  return new InMemoryCache({
    typePolicies: {
      Query: {
        fields: {
          products: relayStylePagination(['filter', 'orderBy']),
          product: {
            read(existing: unknown, { args, toReference }) {
              return existing ?? toReference({ __typename: 'Product', id: args?.id as string });
            },
          },
        },
      },
      Product: { keyFields: ['id'] },
      Category: { keyFields: ['id'] },
      Review: { keyFields: ['id'] },
    },
  });
}

/**
 * An Apollo Client for the catalog: read-your-writes (the consistency token), automatic
 * persisted queries (the server caches documents by hash, so repeat requests send only the
 * hash), the bearer token, and the cache above.
 */
export function createCatalogClient(options: CatalogClientOptions): ApolloClient {
  const sha256 = (query: string) => createHash('sha256').update(query).digest('hex');
  const auth = new SetContextLink((prevContext) => ({
    headers: {
      ...(prevContext.headers as Record<string, string> | undefined),
      ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
    },
  }));
  return new ApolloClient({
    link: ApolloLink.from([
      options.consistency ?? new ConsistencyLink(),
      auth,
      new PersistedQueryLink({ sha256 }),
      new HttpLink({ uri: options.uri, fetch: options.fetch }),
    ]),
    cache: createCatalogCache(),
  });
}
