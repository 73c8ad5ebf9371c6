import { lexicographicSortSchema, printSchema, type GraphQLSchema } from 'graphql';
import { buildSchema } from 'type-graphql';
import { authChecker } from '../auth/auth-checker';
import { CategoryMutations } from '../catalog/category/category.mutations';
import { CategoryQueries } from '../catalog/category/category.queries';
import { ProductMutations } from '../catalog/product/product.mutations';
import { ProductQueries } from '../catalog/product/product.queries';
import { ReviewMutations } from '../catalog/review/review.mutations';
import { ReviewQueries } from '../catalog/review/review.queries';
import { validateArgument } from './validation';

export const SCHEMA_FILE = 'schema/schema.graphql';

export function buildCatalogSchema(): Promise<GraphQLSchema> {
  return buildSchema({
    resolvers: [
      ProductQueries,
      ProductMutations,
      CategoryQueries,
      CategoryMutations,
      ReviewQueries,
      ReviewMutations,
    ],
    validateFn: validateArgument,
    authChecker,
  });
}

/** The SDL as committed in schema/schema.graphql: sorted, so diffs show real changes only. */
export function printCatalogSchema(schema: GraphQLSchema): string {
  return `${printSchema(lexicographicSortSchema(schema))}\n`;
}
