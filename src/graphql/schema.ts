import { lexicographicSortSchema, printSchema, type GraphQLSchema } from 'graphql';
import { buildSchema } from 'type-graphql';
import { CategoryResolver } from '../catalog/category/category.resolver';
import { ProductResolver } from '../catalog/product/product.resolver';
import { ReviewResolver } from '../catalog/review/review.resolver';

export const SCHEMA_FILE = 'schema/schema.graphql';

export function buildCatalogSchema(): Promise<GraphQLSchema> {
  return buildSchema({
    resolvers: [ProductResolver, CategoryResolver, ReviewResolver],
    // Input rules live in the services (and class-validator for mutations): they know the field
    // paths to report. type-graphql's own validation stays off for arguments without rules.
    validate: false,
  });
}

/** The SDL as committed in schema/schema.graphql: sorted, so diffs show real changes only. */
export function printCatalogSchema(schema: GraphQLSchema): string {
  return `${printSchema(lexicographicSortSchema(schema))}\n`;
}
