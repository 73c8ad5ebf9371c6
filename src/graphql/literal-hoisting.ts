import {
  GraphQLBoolean,
  GraphQLFloat,
  GraphQLID,
  GraphQLInt,
  GraphQLString,
  isEnumType,
  isInputObjectType,
  isListType,
  isNonNullType,
  Kind,
  print,
  TypeInfo,
  visit,
  visitWithTypeInfo,
  type ArgumentNode,
  type DocumentNode,
  type GraphQLInputType,
  type GraphQLScalarType,
  type GraphQLSchema,
  type ListTypeNode,
  type NamedTypeNode,
  type OperationDefinitionNode,
  type TypeNode,
  type ValueNode,
  type VariableDefinitionNode,
} from 'graphql';
import { DecimalScalar } from '../shared/decimal.scalar';

/** A document with its literal arguments turned into variables (hoistLiterals). */
export interface HoistedDocument {
  /** The operation, with the hoisted variables declared after its own, and every fragment. */
  document: DocumentNode;
  /** The document printed: the same for every literal variant (and layout) of one document. */
  text: string;
  /** The hoisted literals as a client would pass them in variables; undefined: none hoisted. */
  values: Record<string, unknown> | undefined;
  /** Line and column of every field, in document order (errors' locations: see relocation). */
  fieldLocations: number[];
}

/**
 * Scalars whose literal and variable forms are known to coerce alike, and the variable value a
 * literal of each kind stands for. Other scalars (DateTime, any added later) keep their literal:
 * their parseLiteral and parseValue are not known to agree.
 */
const SCALARS = new Map<GraphQLScalarType, (node: ValueNode) => unknown>([
  [GraphQLString, (node) => (node.kind === Kind.STRING ? node.value : undefined)],
  [GraphQLBoolean, (node) => (node.kind === Kind.BOOLEAN ? node.value : undefined)],
  [GraphQLInt, (node) => (node.kind === Kind.INT ? parseInt(node.value, 10) : undefined)],
  // 1e400 is a valid Float literal (Infinity) and an invalid Float variable: kept.
  [GraphQLFloat, (node) => (isNumber(node) ? finite(Number(node.value)) : undefined)],
  // An Int literal's text, not its number: 12345678901234567890 would lose digits as a number.
  [
    GraphQLID,
    (node) => (node.kind === Kind.STRING || node.kind === Kind.INT ? node.value : undefined),
  ],
  // parseLiteral reads any literal's text; parseValue reads that text given as a string.
  [DecimalScalar, (node) => (node.kind === Kind.STRING || isNumber(node) ? node.value : undefined)],
]);

/**
 * Turns each literal argument of a field into a variable of the argument's exact type, and
 * returns the literals' values (docs/performance.md#literal-documents). Every variant of a
 * document that differs only in its literals prints alike, so they share one compiled query,
 * and no client-written string reaches graphql-jit's generated code. `document` is only read.
 *
 * Kept as literals, where a variable would not be exactly equivalent (the compiled-execution
 * guard then decides, as before):
 * - directive arguments (`@include(if: true)`: graphql-jit decides those when it compiles);
 * - variables' default values (a default is a literal by definition);
 * - a literal `null` argument (an explicit null either way; nothing to share);
 * - a list or input object holding a variable;
 * - an input object whose type (at any depth) has a field default: graphql-jit refuses a
 *   variable that leaves such a field out, where the literal runs;
 * - scalars not in SCALARS, and a Float literal too large for a number (Infinity).
 */
export function hoistLiterals(
  schema: GraphQLSchema,
  document: DocumentNode,
  operation: OperationDefinitionNode,
): HoistedDocument {
  const definitions = [
    operation,
    ...document.definitions.filter((d) => d.kind === Kind.FRAGMENT_DEFINITION),
  ];
  const prefix = variablePrefix(definitions);
  const values: Record<string, unknown> = {};
  const declared: VariableDefinitionNode[] = [];
  const fieldLocations: number[] = [];
  const typeInfo = new TypeInfo(schema);
  const hoisted = visit(
    { kind: Kind.DOCUMENT, definitions },
    visitWithTypeInfo(typeInfo, {
      Field(node) {
        const start = node.loc?.startToken;
        if (start) fieldLocations.push(start.line, start.column);
      },
      Argument(node): ArgumentNode | undefined {
        if (typeInfo.getDirective()) return undefined;
        const type = typeInfo.getArgument()?.type;
        if (!type || node.value.kind === Kind.NULL) return undefined;
        const value = external(node.value, type);
        if (value === undefined) return undefined;
        const name = `${prefix}${declared.length}`;
        const variable = { kind: Kind.VARIABLE, name: { kind: Kind.NAME, value: name } } as const;
        declared.push({ kind: Kind.VARIABLE_DEFINITION, variable, type: typeNode(type) });
        values[name] = value;
        return { ...node, value: variable };
      },
    }),
  );
  const [hoistedOperation, ...fragments] = hoisted.definitions as [
    OperationDefinitionNode,
    ...DocumentNode['definitions'],
  ];
  const normalized: DocumentNode = {
    kind: Kind.DOCUMENT,
    // The source stays the client's: compiledBytes books it, errors locate in it.
    loc: document.loc,
    definitions: [
      {
        ...hoistedOperation,
        variableDefinitions: [...(hoistedOperation.variableDefinitions ?? []), ...declared],
      },
      ...fragments,
    ],
  };
  return {
    document: normalized,
    text: print(normalized),
    values: declared.length ? values : undefined,
    fieldLocations,
  };
}

/**
 * The value a variable of `type` needs to stand for the (validated) literal `node`, or undefined
 * when none is known to be exactly equivalent.
 */
function external(node: ValueNode, type: GraphQLInputType): unknown {
  if (isNonNullType(type)) return node.kind === Kind.NULL ? undefined : external(node, type.ofType);
  if (node.kind === Kind.NULL) return null;
  if (node.kind === Kind.VARIABLE) return undefined;
  if (isListType(type)) {
    // A single item stands for a list of one, as GraphQL coerces it; written out as one.
    const items = node.kind === Kind.LIST ? node.values : [node];
    const list = items.map((item) => external(item, type.ofType));
    return list.includes(undefined) ? undefined : list;
  }
  if (isInputObjectType(type)) {
    if (node.kind !== Kind.OBJECT) return undefined;
    const fields = type.getFields();
    if (Object.values(fields).some((field) => field.defaultValue !== undefined)) return undefined;
    const object: Record<string, unknown> = {};
    for (const field of node.fields) {
      const definition = fields[field.name.value];
      const value = definition && external(field.value, definition.type);
      if (value === undefined) return undefined;
      object[field.name.value] = value;
    }
    return object;
  }
  if (isEnumType(type)) return node.kind === Kind.ENUM ? node.value : undefined;
  return SCALARS.get(type)?.(node);
}

function isNumber(node: ValueNode): node is ValueNode & { value: string } {
  return node.kind === Kind.INT || node.kind === Kind.FLOAT;
}

function finite(value: number): number | undefined {
  return Number.isFinite(value) ? value : undefined;
}

function typeNode(type: GraphQLInputType): TypeNode {
  if (isNonNullType(type)) {
    return {
      kind: Kind.NON_NULL_TYPE,
      type: typeNode(type.ofType) as NamedTypeNode | ListTypeNode,
    };
  }
  if (isListType(type)) return { kind: Kind.LIST_TYPE, type: typeNode(type.ofType) };
  return { kind: Kind.NAMED_TYPE, name: { kind: Kind.NAME, value: type.name } };
}

/**
 * `_lit`, lengthened until no variable of the document starts with it: the hoisted names
 * cannot collide with the client's. Variants share their variables, so they share the prefix.
 */
function variablePrefix(definitions: DocumentNode['definitions']): string {
  const names: string[] = [];
  visit(
    { kind: Kind.DOCUMENT, definitions },
    { Variable: (node) => void names.push(node.name.value) },
  );
  let prefix = '_lit';
  while (names.some((name) => name.startsWith(prefix))) prefix = `_${prefix}`;
  return prefix;
}
