import type { ApolloServerPlugin } from '@apollo/server';
import {
  getNullableType,
  GraphQLError,
  isListType,
  Kind,
  visit,
  type DocumentNode,
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
export function queryCostPlugin(cost: QueryCost): ApolloServerPlugin {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ request, document, operation }) {
          const refusal = cost.refusal(document, operation, request);
          if (refusal) throw refusal;
        },
      };
    },
  };
}

/** An operation's estimated cost against the limit: the plugin's check, and the fast path's. */
export class QueryCost {
  private readonly estimators = [connectionEstimator, simpleEstimator({ defaultComplexity: 1 })];
  private readonly costs = new CostCache();

  constructor(
    private readonly schema: GraphQLSchema,
    private readonly maximum: number,
  ) {}

  /** The error refusing the operation, if it costs more than the limit. */
  refusal(
    document: DocumentNode,
    operation: OperationDefinitionNode | undefined,
    request: { operationName?: string | null; variables?: Record<string, unknown> | null },
  ): GraphQLError | undefined {
    // Introspection is bounded by the schema's size, not by data: tools must get it whole.
    if (operation && isIntrospectionOnly(operation)) return;
    const operationName = request.operationName ?? undefined;
    const variables = request.variables ?? {};
    let cost = this.costs.get(document, operationName, variables);
    if (cost === undefined) {
      try {
        cost = getComplexity({
          schema: this.schema,
          query: document,
          operationName,
          variables,
          estimators: this.estimators,
        });
      } catch {
        // Variables that do not fit their types: execution reports that, as BAD_USER_INPUT.
        return;
      }
      this.costs.set(document, operationName, variables, cost);
    }
    if (cost <= this.maximum) return;
    return new GraphQLError(
      `The operation is too expensive: estimated cost ${cost}, limit ${this.maximum}. Ask for fewer rows or fields.`,
      {
        extensions: {
          code: 'BAD_USER_INPUT',
          cost,
          maximumCost: this.maximum,
          http: { status: 400 },
        },
      },
    );
  }
}

/**
 * The cost of a document depends only on the page sizes it asks for: costing it again for every
 * request (a walk of the whole document) was a tenth of a product lookup's time. Kept per parsed
 * document (Apollo reuses the parsed document of a query it has seen, and drops it from its own
 * cache in time) and per value of the variables it depends on; nothing else varies.
 */
class CostCache {
  private readonly byDocument = new WeakMap<DocumentNode, DocumentCosts>();

  get(document: DocumentNode, operation: string | undefined, variables: Record<string, unknown>) {
    const entry = this.costsOf(document);
    return entry.costs.get(keyOf(entry, operation, variables));
  }

  set(
    document: DocumentNode,
    operation: string | undefined,
    variables: Record<string, unknown>,
    cost: number,
  ): void {
    const entry = this.costsOf(document);
    if (entry.costs.size >= MAX_COSTS_PER_DOCUMENT) entry.costs.clear(); // many values: start over
    entry.costs.set(keyOf(entry, operation, variables), cost);
  }

  private costsOf(document: DocumentNode): DocumentCosts {
    let entry = this.byDocument.get(document);
    if (!entry) {
      entry = { pricedVariables: pricedVariablesOf(document), costs: new Map() };
      this.byDocument.set(document, entry);
    }
    return entry;
  }
}

/** The cache key of one request: its operation, and the priced variables it gives. */
function keyOf(
  entry: DocumentCosts,
  operation: string | undefined,
  variables: Record<string, unknown>,
): string {
  // Only the variables given: an absent one takes its default, which `null` would not.
  const given = entry.pricedVariables.filter((name) => name in variables);
  return JSON.stringify([operation ?? null, ...given.map((name) => [name, variables[name]])]);
}

interface DocumentCosts {
  /** Variables passed as `first`, `last` or a directive's `if`: all the cost depends on. */
  pricedVariables: string[];
  costs: Map<string, number>;
}

const MAX_COSTS_PER_DOCUMENT = 100;
const PRICED_ARGUMENTS = new Set(['first', 'last', 'if']);

function pricedVariablesOf(document: DocumentNode): string[] {
  const names = new Set<string>();
  visit(document, {
    // Page sizes, and the conditions of @include/@skip (a skipped field costs nothing).
    Argument(node) {
      if (PRICED_ARGUMENTS.has(node.name.value) && node.value.kind === Kind.VARIABLE) {
        names.add(node.value.name.value);
      }
    },
  });
  return [...names].sort();
}

function isIntrospectionOnly(operation: OperationDefinitionNode): boolean {
  return operation.selectionSet.selections.every(
    (selection) => selection.kind === Kind.FIELD && selection.name.value.startsWith('__'),
  );
}
