import {
  getVariableValues,
  GraphQLError,
  Kind,
  visit,
  type DocumentNode,
  type GraphQLSchema,
  type OperationDefinitionNode,
} from 'graphql';
import { operationCost } from './operation-cost';
import type { OperationConcern } from './pipeline';

/**
 * Refuses an operation whose estimated cost exceeds `maximum`, after validation and before any
 * resolver runs (the variables are known by then, so `first: $n` is priced by its value).
 * It fails closed: an operation whose cost cannot be computed is refused, never run uncosted.
 */
export class QueryCost {
  private readonly costs = new CostCache();

  constructor(
    private readonly schema: GraphQLSchema,
    private readonly maximum: number,
  ) {}

  readonly concern: OperationConcern = {
    resolved: ({ document, operation }, request) => this.refusal(document, operation, request),
  };

  /** The error refusing the operation: over the limit, or not costable (nothing may run). */
  refusal(
    document: DocumentNode,
    operation: OperationDefinitionNode | undefined,
    request: { operationName?: string | null; variables?: Record<string, unknown> | null },
  ): GraphQLError | undefined {
    // No operation to run (none by the requested name): execution refuses it, nothing runs.
    if (!operation) return;
    // Introspection is bounded by the schema's size, not by data: tools must get it whole.
    if (isIntrospectionOnly(operation)) return;
    const cost = this.price(document, operation, request.variables ?? {});
    if (typeof cost !== 'number') return cost;
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

  /**
   * Whether the operation is priced at most `cost` with these variables (the fast path's light
   * lane: operation-gate.ts). Not when it cannot be priced: that one is refused.
   */
  atMost(
    cost: number,
    document: DocumentNode,
    operation: OperationDefinitionNode,
    variables: Record<string, unknown> | null | undefined,
  ): boolean {
    const priced = this.price(document, operation, variables ?? {});
    return typeof priced === 'number' && priced <= cost;
  }

  /** The operation's cost with these variables (cached), or why it cannot be priced. */
  private price(
    document: DocumentNode,
    operation: OperationDefinitionNode,
    given: Record<string, unknown>,
  ): number | GraphQLError {
    const key = this.costs.keyOf(document, operation, given);
    const cached = key === undefined ? undefined : this.costs.get(document, key);
    if (cached !== undefined) return cached;
    // Priced with the values execution will run with (defaults applied, null kept as null);
    // variables that do not coerce are refused here, as execution would refuse them.
    const coerced = getVariableValues(this.schema, operation.variableDefinitions ?? [], given);
    if (coerced.errors) return refused(coerced.errors[0]);
    let cost: number;
    try {
      cost = operationCost(this.schema, document, operation, coerced.coerced);
    } catch (error) {
      // A null `if`, an argument that does not coerce: execution would fail on it too.
      return refused(error);
    }
    if (key !== undefined) this.costs.set(document, key, cost);
    return cost;
  }
}

/** The refusal of an operation that cannot be costed, in the words graphql-js would use. */
function refused(error: unknown): GraphQLError {
  const extensions = { code: 'BAD_USER_INPUT', http: { status: 400 } };
  if (error instanceof GraphQLError) {
    return new GraphQLError(error.message, { nodes: error.nodes, extensions });
  }
  // Not a client's mistake we can name, but still no reason to run the operation uncosted.
  return new GraphQLError('The operation could not be costed, so it is not run.', { extensions });
}

/**
 * The cost of a document depends only on the page sizes it asks for: costing it again for every
 * request (a walk of the whole document) was costly (docs/performance.md#cost-cache). Kept per parsed
 * document (Apollo reuses the parsed document of a query it has seen, and drops it from its own
 * cache in time) and per operation and what it depends on of the variables' values (keyOf);
 * nothing else varies.
 */
class CostCache {
  private readonly byDocument = new WeakMap<DocumentNode, DocumentCosts>();

  get(document: DocumentNode, key: string): number | undefined {
    return this.byDocument.get(document)?.costs.get(key);
  }

  set(document: DocumentNode, key: string, cost: number): void {
    const { costs } = this.costsOf(document);
    if (costs.size >= MAX_COSTS_PER_DOCUMENT) costs.clear(); // many values: start over
    costs.set(key, cost);
  }

  /**
   * The cache key of one request: its operation, the values it gives the priced variables, and
   * whether it gives each other variable a value, null or nothing. That is all the walk depends
   * on: page sizes and conditions set the cost, and an argument is refused, whatever its
   * variable's type, only when the variable is null or left out (validation checked the rest).
   * Coercion is a function of the value given, so a cached cost was computed from values that
   * coerced; the other variables' values are execution's to refuse, before anything runs. Page
   * sizes and conditions are numbers, booleans or null, so the key stays short; a request giving
   * anything else is costed afresh rather than serialised.
   */
  keyOf(
    document: DocumentNode,
    operation: OperationDefinitionNode,
    variables: Record<string, unknown>,
  ): string | undefined {
    const { pricedVariables } = this.costsOf(document);
    let key = operation.name?.value ?? '';
    for (const definition of operation.variableDefinitions ?? []) {
      const name = definition.variable.name.value;
      // Absent and null differ: an absent variable takes its default, null stays null.
      if (!Object.prototype.hasOwnProperty.call(variables, name)) {
        key += ',~';
        continue;
      }
      const value = variables[name];
      if (value === null) key += ',null';
      else if (!pricedVariables.has(name)) key += ',+';
      else if (typeof value === 'number' || typeof value === 'boolean') key += `,${value}`;
      else return;
    }
    return key;
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

interface DocumentCosts {
  /** Variables passed as `first`, `last` or a directive's `if`: all the cost depends on. */
  pricedVariables: ReadonlySet<string>;
  costs: Map<string, number>;
}

const MAX_COSTS_PER_DOCUMENT = 100;
const PRICED_ARGUMENTS = new Set(['first', 'last', 'if']);

function pricedVariablesOf(document: DocumentNode): ReadonlySet<string> {
  const names = new Set<string>();
  visit(document, {
    // Page sizes, and the conditions of @include/@skip (a skipped field costs nothing).
    Argument(node) {
      if (PRICED_ARGUMENTS.has(node.name.value) && node.value.kind === Kind.VARIABLE) {
        names.add(node.value.name.value);
      }
    },
  });
  return names;
}

function isIntrospectionOnly(operation: OperationDefinitionNode): boolean {
  return operation.selectionSet.selections.every(
    (selection) => selection.kind === Kind.FIELD && selection.name.value.startsWith('__'),
  );
}
