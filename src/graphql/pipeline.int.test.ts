import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { ApolloServerPlugin } from '@apollo/server';
import { startTestServer, type TestServer } from '../../test/support/server';
import { isAllowedApolloPlugin } from './pipeline';

/**
 * A per-operation concern must be a concern of the pipeline (pipeline.ts): an Apollo plugin of
 * its own would be skipped by the fast path for every compiled query. The server's plugins are
 * the pipeline's adapter and the document-level allow-list only; Apollo's own implicit plugins
 * are Apollo's.
 */
describe("the server's Apollo plugins", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(async () => server.close());

  it('are the pipeline adapter and document-level plugins only', () => {
    // Apollo keeps the list private; this is the list it runs.
    const { plugins } = (
      server.app.apollo as unknown as { internals: { plugins: ApolloServerPlugin[] } }
    ).internals;
    const stray = plugins.filter(
      (plugin) => !isAllowedApolloPlugin(plugin) && !installedByApollo(plugin),
    );
    expect(stray).toEqual([]);
    expect(plugins.filter(isAllowedApolloPlugin).length).toBeGreaterThan(1);
  });
});

/**
 * Apollo's own defaults, added when the list lacks them: the inline trace (it acts only for a
 * federated subgraph's schema, which ours is not) and those it marks as implicit.
 */
function installedByApollo(plugin: object): boolean {
  return (
    '__internal_installed_implicitly__' in plugin ||
    (plugin as { __internal_plugin_id__?: string }).__internal_plugin_id__ === 'InlineTrace'
  );
}
