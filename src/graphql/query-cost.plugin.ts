import type { ApolloServerPlugin } from '@apollo/server';
import {
  getNullableType,
  GraphQLError,
  isListType,
  Kind,
  type GraphQLSchema,
  type OperationDefinitionNode,
} from 'graphql';
import { getComplexity, simpleEstimator, type ComplexityEstimator } from 'graphql-query-complexity';
import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE } from '../shared/pagination';

/** A list without a page size (`categories`) is counted as this many items. */
const UNBOUNDED_LIST_ESTIMATE = 20;

/**
 * A field returning a page costs its selection times the rows it may return (`first`/`last`,
 * else the default page size), so `products(first: 100) { reviews(first: 100) { … } }` is
 * priced at what it can make the server do. Other fields cost 1.
 */
const connectionEstimator: ComplexityEstimator = ({ type, field, args, childComplexity }) => {
  if (field.args.some((arg) => arg.name === 'first')) {
    const { first, last } = args as { first?: unknown; last?: unknown };
    const requested = first ?? last;
    // Larger pages are refused by the resolver with a clearer error than a cost one.
    const rows = typeof requested === 'number' ? requested : DEFAULT_PAGE_SIZE;
    return 1 + childComplexity * Math.min(Math.max(rows, 1), MAX_PAGE_SIZE);
  }
  // A connection's `edges` are already priced by the connection field's page size.
  if (isListType(getNullableType(field.type)) && !type.name.endsWith('Connection')) {
    return 1 + childComplexity * UNBOUNDED_LIST_ESTIMATE;
  }
  return undefined; // not a list: simpleEstimator's 1 + children
};

/**
 * Refuses an operation whose estimated cost exceeds `maximum`, after validation and before any
 * resolver runs (the variables are known by then, so `first: $n` is priced by its value).
 */
export function queryCostPlugin(schema: GraphQLSchema, maximum: number): ApolloServerPlugin {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ request, document, operation }) {
          // Introspection is bounded by the schema's size, not by data: tools must get it whole.
          if (operation && isIntrospectionOnly(operation)) return;
          let cost: number;
          try {
            cost = getComplexity({
              schema,
              query: document,
              operationName: request.operationName ?? undefined,
              variables: request.variables ?? {},
              estimators: [connectionEstimator, simpleEstimator({ defaultComplexity: 1 })],
            });
          } catch {
            // Variables that do not fit their types: execution reports that, as BAD_USER_INPUT.
            return;
          }
          if (cost > maximum) {
            throw new GraphQLError(
              `The operation is too expensive: estimated cost ${cost}, limit ${maximum}. Ask for fewer rows or fields.`,
              {
                extensions: {
                  code: 'BAD_USER_INPUT',
                  cost,
                  maximumCost: maximum,
                  http: { status: 400 },
                },
              },
            );
          }
        },
      };
    },
  };
}

function isIntrospectionOnly(operation: OperationDefinitionNode): boolean {
  return operation.selectionSet.selections.every(
    (selection) => selection.kind === Kind.FIELD && selection.name.value.startsWith('__'),
  );
}
