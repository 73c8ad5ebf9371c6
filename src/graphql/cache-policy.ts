import type { ApolloServerPlugin } from '@apollo/server';
import { OperationTypeNode } from 'graphql';
import { ApolloServerPluginCacheControl } from '@apollo/server/plugin/cacheControl';
import type { Context } from './context';

/**
 * HTTP caching of query responses (useful over GET, where CDNs and browsers cache): every
 * field may be cached for `maxAgeSeconds`, publicly for anonymous readers, privately once a
 * token is sent (its answers may depend on who asks). Mutations are never cached. 0 turns
 * caching off (`no-store`).
 */
export function cachePolicyPlugins(maxAgeSeconds: number): ApolloServerPlugin<Context>[] {
  return [
    ApolloServerPluginCacheControl({ defaultMaxAge: maxAgeSeconds, calculateHttpHeaders: true }),
    {
      async requestDidStart() {
        return {
          async executionDidStart({ contextValue, overallCachePolicy, operation }) {
            if (operation.operation !== OperationTypeNode.QUERY)
              overallCachePolicy.restrict({ maxAge: 0 });
            if (contextValue.viewer) overallCachePolicy.restrict({ scope: 'PRIVATE' });
          },
        };
      },
    },
  ];
}
