import {
  getArgumentValues,
  getDirectiveValues,
  getNamedType,
  getNullableType,
  GraphQLIncludeDirective,
  GraphQLSkipDirective,
  isAbstractType,
  isCompositeType,
  isListType,
  Kind,
  SchemaMetaFieldDef,
  TypeMetaFieldDef,
  TypeNameMetaFieldDef,
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  type FragmentSpreadNode,
  type GraphQLCompositeType,
  type GraphQLField,
  type GraphQLObjectType,
  type GraphQLSchema,
  type InlineFragmentNode,
  type OperationDefinitionNode,
  type SelectionSetNode,
} from 'graphql';
import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE } from '../shared/pagination';

/** A list without a page size (`categories`) is counted as this many items. */
const UNBOUNDED_LIST_ESTIMATE = 20;

/**
 * What an operation may make the server do: each field 1, plus its selection's cost times the
 * rows it may return: `first`/`last` (else the default page size) for a page, 20 for a plain
 * list. Fields skipped by `@skip`/`@include` cost nothing.
 *
 * Our own walk, not graphql-query-complexity's: that library walks a fragment again for every
 * spread (a few fragments of 20 spreads each are millions of nodes) and throws past a node cap,
 * and it reads a null `if` as "not skipped" where execution refuses it. Here a fragment is
 * costed once per type it is spread on (the variables are fixed for one walk), so the walk is
 * linear in the document; anything execution would refuse (a null `if`, an argument that does
 * not coerce) throws the GraphQLError execution would report, and the caller refuses.
 *
 * `variables` must be the operation's coerced variables (graphql-js `getVariableValues`): the
 * values execution runs with, defaults applied.
 */
export function operationCost(
  schema: GraphQLSchema,
  document: DocumentNode,
  operation: OperationDefinitionNode,
  variables: Record<string, unknown>,
): number {
  const root = schema.getRootType(operation.operation);
  if (!root) return 0; // validation refuses the operation
  return new CostWalk(schema, document, variables).selectionSet(operation.selectionSet, root);
}

class CostWalk {
  private readonly fragments = new Map<string, FragmentDefinitionNode>();
  /** By fragment and object type; `undefined` while being walked (a cycle, refused by validation). */
  private readonly fragmentCosts = new Map<string, number | undefined>();

  constructor(
    private readonly schema: GraphQLSchema,
    document: DocumentNode,
    private readonly variables: Record<string, unknown>,
  ) {
    for (const definition of document.definitions) {
      if (definition.kind === Kind.FRAGMENT_DEFINITION) {
        this.fragments.set(definition.name.value, definition);
      }
    }
  }

  selectionSet(selectionSet: SelectionSetNode, type: GraphQLCompositeType): number {
    // On an abstract type, the most expensive of the types it may turn out to be.
    if (isAbstractType(type)) {
      const costs = this.schema
        .getPossibleTypes(type)
        .map((t) => this.selectionSet(selectionSet, t));
      return Math.max(0, ...costs);
    }
    let cost = 0;
    for (const selection of selectionSet.selections) {
      if (!this.included(selection)) continue;
      if (selection.kind === Kind.FIELD) cost += this.field(selection, type);
      else if (selection.kind === Kind.INLINE_FRAGMENT)
        cost += this.inlineFragment(selection, type);
      else cost += this.fragmentSpread(selection, type);
    }
    return cost;
  }

  /** graphql-js's `shouldIncludeNode`, which throws on a null `if` as execution does. */
  private included(node: FieldNode | InlineFragmentNode | FragmentSpreadNode): boolean {
    if (!node.directives?.length) return true;
    if (getDirectiveValues(GraphQLSkipDirective, node, this.variables)?.if === true) return false;
    return getDirectiveValues(GraphQLIncludeDirective, node, this.variables)?.if !== false;
  }

  private field(node: FieldNode, parent: GraphQLObjectType): number {
    const field = fieldOf(parent, node.name.value);
    if (!field) return 0; // validation refuses the document
    const type = getNamedType(field.type);
    const children =
      node.selectionSet && isCompositeType(type) ? this.selectionSet(node.selectionSet, type) : 0;
    return priced(field, parent, getArgumentValues(field, node, this.variables), children);
  }

  private inlineFragment(node: InlineFragmentNode, parent: GraphQLObjectType): number {
    return this.applies(node.typeCondition?.name.value, parent)
      ? this.selectionSet(node.selectionSet, parent)
      : 0;
  }

  private fragmentSpread(node: FragmentSpreadNode, parent: GraphQLObjectType): number {
    const name = node.name.value;
    const fragment = this.fragments.get(name);
    if (!fragment || !this.applies(fragment.typeCondition.name.value, parent)) return 0;
    const key = `${name}\0${parent.name}`;
    if (this.fragmentCosts.has(key)) return this.fragmentCosts.get(key) ?? 0;
    this.fragmentCosts.set(key, undefined);
    const cost = this.selectionSet(fragment.selectionSet, parent);
    this.fragmentCosts.set(key, cost);
    return cost;
  }

  /** Whether a fragment on `condition` applies to an object of type `parent`. */
  private applies(condition: string | undefined, parent: GraphQLObjectType): boolean {
    if (condition === undefined || condition === parent.name) return true;
    const type = this.schema.getType(condition);
    return !!type && isAbstractType(type) && this.schema.isSubType(type, parent);
  }
}

function fieldOf(
  parent: GraphQLObjectType,
  name: string,
): GraphQLField<unknown, unknown> | undefined {
  if (name === TypeNameMetaFieldDef.name) return TypeNameMetaFieldDef;
  if (name === SchemaMetaFieldDef.name) return SchemaMetaFieldDef;
  if (name === TypeMetaFieldDef.name) return TypeMetaFieldDef;
  return parent.getFields()[name];
}

/**
 * A field returning a page costs its selection times the rows it may return, so
 * `products(first: 100) { reviews(first: 100) { … } }` is priced at what it can make the
 * server do. A connection's `edges` are already priced by the connection field's page size.
 */
function priced(
  field: GraphQLField<unknown, unknown>,
  parent: GraphQLObjectType,
  args: Record<string, unknown>,
  children: number,
): number {
  if (field.args.some((arg) => arg.name === 'first')) {
    const requested = args.first ?? args.last;
    // Larger pages are refused by the resolver with a clearer error than a cost one.
    const rows = typeof requested === 'number' ? requested : DEFAULT_PAGE_SIZE;
    return 1 + children * Math.min(Math.max(rows, 1), MAX_PAGE_SIZE);
  }
  if (isListType(getNullableType(field.type)) && !parent.name.endsWith('Connection')) {
    return 1 + children * UNBOUNDED_LIST_ESTIMATE;
  }
  return 1 + children;
}
