import type { Context } from './context';
import type { OperationConcern } from './pipeline';

/**
 * HTTP caching of query responses (useful over GET, where CDNs and browsers cache): a query
 * answer may be cached for `maxAgeSeconds`, publicly for anonymous readers, privately once a
 * token is sent (its answers may depend on who asks). Mutations and errors are never cached;
 * 0 turns caching off (`no-store`).
 *
 * Every field of this API has the same policy, so it is set once per response. Apollo's own
 * cache-control plugin (installed by default) computes a hint for every resolved field; the
 * benchmark showed that per-field work, so it is disabled (graphql.plugin.ts).
 */
export class CachePolicy {
  constructor(private readonly maxAgeSeconds: number) {}

  /** The `cache-control` of an answer: `cacheable` when it is a query answered without errors. */
  header(cacheable: boolean, context: Pick<Context, 'viewer'>): string {
    return cacheable && this.maxAgeSeconds > 0
      ? `max-age=${this.maxAgeSeconds}, ${context.viewer ? 'private' : 'public'}`
      : 'no-store';
  }

  readonly concern: OperationConcern = {
    responding: (_result, cacheable, headers, context) =>
      void headers.header('cache-control', this.header(cacheable, context)),
  };
}
