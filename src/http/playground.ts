import type { FastifyReply, FastifyRequest } from 'fastify';

/**
 * GraphQL Playground, served entirely by this server: the prebuilt bundle that ships in the
 * `graphql-playground-react` package, and a page of our own instead of `graphql-playground-html`
 * (which links a CDN and web fonts). Nothing the page loads leaves the machine.
 */

export const ASSETS_PREFIX = '/playground/assets/';

export const EXAMPLE_QUERY = `# Products with their category and newest reviews.
# Cmd/Ctrl+Enter runs it; the DOCS and SCHEMA tabs on the right describe every field.
query Products {
  products(first: 5, orderBy: { field: RATING, direction: DESC }) {
    totalCount
    edges {
      node {
        id
        name
        price
        averageRating
        category { name }
        reviews(first: 2) {
          edges { node { rating title author } }
        }
      }
    }
    pageInfo { hasNextPage endCursor }
  }
}
`;

export const SEARCH_EXAMPLE_QUERY = `# Full-text search with typo tolerance, highlights and facets for a sidebar.
# Try "headphones", "audio -speaker", "\\"travel case\\"" or a typo such as "hedphones".
query Search($search: String = "headphones") {
  products(search: $search, first: 5, orderBy: { field: RELEVANCE, direction: DESC }) {
    totalCount
    edges { highlight node { name price category { name } } }
    facets {
      categories { category { name } count }
      priceRange { min max }
      ratings { stars count }
      inStock { count }
    }
  }
}
`;

/** A browser opening the endpoint itself (HTML wanted, no query) gets the Playground too. */
export function wantsPlayground(request: FastifyRequest): boolean {
  const query = request.query as Record<string, unknown> | undefined;
  return (
    request.method === 'GET' &&
    !query?.query &&
    !query?.extensions &&
    (request.headers.accept ?? '').includes('text/html')
  );
}

export function sendPlayground(reply: FastifyReply, endpoint: string): FastifyReply {
  return reply
    .type('text/html; charset=utf-8')
    .header('cache-control', 'no-cache')
    .send(renderPage(endpoint));
}

function renderPage(endpoint: string): string {
  const config = {
    endpoint,
    settings: {
      'request.credentials': 'same-origin',
      'editor.fontFamily': "ui-monospace, 'SFMono-Regular', Menlo, Consolas, monospace",
      'schema.polling.enable': false,
      'tracing.hideTracingResponse': true,
    },
    tabs: [
      { endpoint, name: 'Products', query: EXAMPLE_QUERY },
      { endpoint, name: 'Search', query: SEARCH_EXAMPLE_QUERY },
    ],
  };
  // JSON inside <script>: "<" is escaped so no string in it can close the element.
  const configJson = JSON.stringify(config).replace(/</g, '\\u003c');
  return `<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="utf-8" />
  <meta name="viewport" content="width=device-width, initial-scale=1" />
  <title>catalog-graphql · GraphQL Playground</title>
  <link rel="icon" href="${ASSETS_PREFIX}favicon.png" />
  <link rel="stylesheet" href="${ASSETS_PREFIX}static/css/index.css" />
  <script src="${ASSETS_PREFIX}static/js/middleware.js"></script>
  <style>
    html { font-family: system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif; overflow: hidden; }
    body { margin: 0; background: #172a3a; }
  </style>
</head>
<body>
  <div id="root"></div>
  <script id="playground-config" type="application/json">${configJson}</script>
  <script>
    window.addEventListener('load', function () {
      var config = JSON.parse(document.getElementById('playground-config').textContent);
      GraphQLPlayground.init(document.getElementById('root'), config);
    });
  </script>
</body>
</html>
`;
}
