import { lexicographicSortSchema, printSchema, type GraphQLSchema } from 'graphql';
import { buildSchema } from 'type-graphql';
import { authChecker } from '../auth/auth-checker';
import { CategoryMutations } from '../catalog/category/category.mutations';
import { CategoryResolver } from '../catalog/category/category.resolver';
import { ProductMutations } from '../catalog/product/product.mutations';
import { ProductResolver } from '../catalog/product/product.resolver';
import { ReviewMutations } from '../catalog/review/review.mutations';
import { ReviewResolver } from '../catalog/review/review.resolver';
import { validateArgument } from './validation';

export const SCHEMA_FILE = 'schema/schema.graphql';

export function buildCatalogSchema(): Promise<GraphQLSchema> {
  return buildSchema({
    resolvers: [
      ProductResolver,
      ProductMutations,
      CategoryResolver,
      CategoryMutations,
      ReviewResolver,
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
