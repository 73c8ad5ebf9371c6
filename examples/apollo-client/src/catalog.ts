import type { ApolloClient } from '@apollo/client';
import {
  ProductByIdDocument,
  ProductsPageDocument,
  RenameProductDocument,
  type ProductCardFragment,
  type ProductsPageQueryVariables,
} from './generated/graphql';

/**
 * What a product list screen does: the first page, then "load more" until the list ends or
 * `maxPages` pages are shown. The cache merges the pages; this returns the merged list.
 */
export async function loadProductPages(
  client: ApolloClient,
  variables: ProductsPageQueryVariables,
  maxPages = Infinity,
): Promise<ProductCardFragment[]> {
  await client.query({ query: ProductsPageDocument, variables });
  // relayStylePagination keys the list by filter and order only: every page merges into it.
  let list = client.readQuery({ query: ProductsPageDocument, variables })?.products;
  for (let page = 1; page < maxPages && list?.pageInfo.hasNextPage; page++) {
    const after = list.pageInfo.endCursor;
    // The cache already holds "the list", so the next page must come from the network.
    await client.query({
      query: ProductsPageDocument,
      variables: { ...variables, after },
      fetchPolicy: 'network-only',
    });
    list = client.readQuery({ query: ProductsPageDocument, variables })?.products;
    if (list?.pageInfo.endCursor === after) throw new Error('the next page did not merge');
  }
  return list?.edges.map((edge) => edge.node) ?? [];
}

/** A product page: from the cache when it is there (cache-first), else from the server. */
export async function readProduct(
  client: ApolloClient,
  id: string,
): Promise<ProductCardFragment | null> {
  const { data } = await client.query({ query: ProductByIdDocument, variables: { id } });
  return data?.product ?? null;
}

/** Renames a product; the normalized cache updates every list and page that shows it. */
export async function renameProduct(
  client: ApolloClient,
  id: string,
  name: string,
  expectedVersion?: number,
) {
  const { data } = await client.mutate({
    mutation: RenameProductDocument,
    variables: { id, name, expectedVersion },
  });
  return data?.updateProduct;
}
