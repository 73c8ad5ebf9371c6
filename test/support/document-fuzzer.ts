import {
  getNamedType,
  GraphQLEnumType,
  type GraphQLInputObjectType,
  GraphQLObjectType,
  type GraphQLScalarType,
  isInputObjectType,
  isListType,
  isNonNullType,
  parse,
  visit,
  type GraphQLArgument,
  type GraphQLInputType,
  type GraphQLSchema,
} from 'graphql';

/**
 * Random query documents built from the schema, with variables, for the equivalence fuzzer
 * (src/graphql/equivalence.int.test.ts): fields and nested connections, arguments as literals
 * or variables with values valid and not, aliases that are Object.prototype's names, named and
 * inline fragments, @skip/@include on literals and variables. Many are invalid on purpose:
 * every executor must refuse them alike.
 *
 * The PRNG is mulberry32, hand-written: ten lines, and a failing document is reproduced from
 * its seed and index (printed), which is all a shrinker would add here.
 */
export class Random {
  private state: number;
  constructor(seed: number) {
    this.state = seed >>> 0;
  }
  next(): number {
    let t = (this.state = (this.state + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  int(below: number): number {
    return Math.floor(this.next() * below);
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)]!;
  }
}

export interface FuzzedOperation {
  query: string;
  variables: Record<string, unknown>;
}

/** An enum value in a literal (printed bare), as opposed to a string. */
class EnumLiteral {
  constructor(readonly name: string) {}
}

/** A number literal printed as written (a JSON number would lose its text). */
class NumberText {
  constructor(readonly text: string) {}
}

const ALIASES = [
  '__proto__',
  'constructor',
  'toString',
  'hasOwnProperty',
  'valueOf',
  'a',
  'b',
  'node',
  'id',
];
const STRINGS = [
  '',
  'a',
  'lamp',
  'Garden',
  'héllo "quoted" \\ \n',
  'x'.repeat(300),
  'not-a-cursor',
  // Literals are hoisted into variables (src/graphql/literal-hoisting.ts): what a string holds
  // must stay data, never code or keys.
  '__proto__',
  'constructor',
  '${globalThis.x}`',
  "'); globalThis.x = 1; ('",
  '\\"\\u0041\\',
  '\u2028\u2029\u0000\u001f',
  '日本語 🎉 \ud83d',
  '__MAGIC_DATE__0(globalThis.x=1)',
];
const INTS = [0, 1, 2, 3, 5, -1, 50, 101, 2147483647, -2147483648];
const BAD_INTS = [2147483648, 1.5, 1e21];
const IDS = ['1', '2', '3', '999999', '-1', 'abc', '1e3', 7, 0];
/** Numbers whose text matters: printed as written, sent as JSON numbers. */
const NUMBER_TEXTS = ['12345678901234567890', '-0', '1e400', '19.990', '0.1e1'];
const DECIMALS = ['0', '10.00', '19.99', '-1', '1e400', 'abc', '99999999999999999999.99', 2];
/** Of the wrong type for most places. */
const ODD = [null, true, 'true', 3, 2.5, 'X', [1], { a: 1 }];

export class DocumentFuzzer {
  private variables: { name: string; type: string; value: unknown; defaulted?: string }[] = [];
  private fragments = new Map<string, string>();
  private responseKeys = new Set<string>();
  private depthLimit = 4;

  constructor(
    private readonly schema: GraphQLSchema,
    private readonly random: Random,
  ) {}

  operation(): FuzzedOperation {
    this.variables = [];
    this.fragments = new Map();
    this.responseKeys = new Set();
    const query = this.schema.getQueryType()!;
    const selection = this.selection(query, 0);
    const values: Record<string, unknown> = {};
    for (const variable of this.variables) {
      if (variable.value !== undefined) values[variable.name] = asJson(variable.value);
    }
    const declared = this.variables
      .map((v) => `$${v.name}: ${v.type}${v.defaulted === undefined ? '' : ` = ${v.defaulted}`}`)
      .join(', ');
    const head =
      declared || this.random.chance(0.3) ? `query Fuzz${declared ? `(${declared})` : ''} ` : '';
    const fragments = [...this.fragments.values()].join('\n');
    return { query: `${head}${selection}${fragments ? `\n${fragments}` : ''}`, variables: values };
  }

  private selection(type: GraphQLObjectType, depth: number): string {
    const fields = Object.values(type.getFields());
    const parts: string[] = [];
    const count = 1 + this.random.int(depth === 0 ? 2 : 4);
    for (let i = 0; i < count; i++) {
      const roll = this.random.next();
      if (roll < 0.08 && depth < this.depthLimit) {
        parts.push(`... ${this.directives()}${this.selection(type, depth + 1)}`);
      } else if (roll < 0.14 && depth < this.depthLimit) {
        parts.push(`... on ${type.name} ${this.selection(type, depth + 1)}`);
      } else if (roll < 0.2 && depth < this.depthLimit) {
        const name = `F${this.fragments.size}${type.name}`;
        this.fragments.set(name, '');
        this.fragments.set(
          name,
          `fragment ${name} on ${type.name} ${this.selection(type, depth + 1)}`,
        );
        parts.push(`...${name}${this.directives()}`);
      } else {
        parts.push(this.field(type, this.random.pick(fields), depth));
      }
    }
    if (this.random.chance(0.05) || !parts.some(Boolean)) parts.push('__typename');
    return `{ ${parts.filter(Boolean).join(' ')} }`;
  }

  private field(
    parent: GraphQLObjectType,
    field: { name: string; type: GraphQLOutputTypeLike; args: readonly GraphQLArgument[] },
    depth: number,
  ): string {
    const key = this.random.chance(0.12) ? this.random.pick(ALIASES) : field.name;
    // A response key used twice on a type (fragments merge) mostly makes a document the
    // validator refuses (same key, other arguments): the field is left out instead.
    if (this.responseKeys.has(`${parent.name}.${key}`)) return '';
    this.responseKeys.add(`${parent.name}.${key}`);
    const alias = key === field.name ? '' : `${key}: `;
    const args = field.args
      // Required ones nearly always: a document that omits one tests the validator only.
      .filter((arg) =>
        this.random.chance(isNonNullType(arg.type) && arg.defaultValue === undefined ? 0.98 : 0.4),
      )
      .map((arg) => `${arg.name}: ${this.argument(arg.type)}`);
    const named = getNamedType(field.type);
    let sub = '';
    if (named instanceof GraphQLObjectType) {
      // Past the depth limit an object field still needs a selection: the shallowest one.
      sub = depth < this.depthLimit ? ` ${this.selection(named, depth + 1)}` : ' { __typename }';
    }
    const argText = args.length ? `(${args.join(', ')})` : '';
    return `${alias}${field.name}${argText}${this.directives()}${sub}`;
  }

  /** @skip / @include now and then, on a literal or a variable (nullable or not, defaulted). */
  private directives(): string {
    if (!this.random.chance(0.15)) return '';
    const name = this.random.pick(['skip', 'include']);
    const roll = this.random.next();
    let condition: string;
    if (roll < 0.4) condition = this.random.pick(['true', 'false']);
    else if (roll < 0.41) condition = this.random.pick(['null', '"yes"', '1']);
    else {
      // A nullable one is valid here only with a default: null can still be passed.
      const [type, defaulted] = this.random.pick([
        ['Boolean!', undefined],
        ['Boolean!', 'true'],
        ['Boolean', 'true'],
        ['Boolean', 'false'],
      ] as const);
      const value = this.random.chance(0.9)
        ? this.random.pick([true, false, null, undefined])
        : this.random.pick(['yes', 0]);
      condition = this.variable(type, value, defaulted);
    }
    return ` @${name}(if: ${condition})`;
  }

  private argument(type: GraphQLInputType): string {
    if (this.random.chance(0.45)) {
      const declared = this.random.chance(0.98)
        ? String(type)
        : this.random.pick(['Int', 'String', 'ID!', 'Boolean']);
      const value = this.random.chance(0.1) ? undefined : this.value(type, 0);
      const defaulted = this.random.chance(0.15) ? printLiteral(this.value(type, 0)) : undefined;
      return this.variable(declared, value, defaulted);
    }
    return printLiteral(this.value(type, 0));
  }

  private variable(type: string, value: unknown, defaulted?: string): string {
    const name = `v${this.variables.length}`;
    this.variables.push({ name, type, value, defaulted });
    return `$${name}`;
  }

  /** A value for `type`: mostly valid, sometimes null, extreme or of another type. */
  private value(type: GraphQLInputType, depth: number, nullable = true): unknown {
    if (this.random.chance(0.015)) return this.random.pick(ODD);
    if (isNonNullType(type)) return this.value(type.ofType, depth, false);
    if (nullable && this.random.chance(0.06)) return null;
    if (isListType(type)) {
      return Array.from({ length: this.random.int(3) }, () => this.value(type.ofType, depth + 1));
    }
    if (isInputObjectType(type)) return this.inputObject(type, depth);
    if (type instanceof GraphQLEnumType) {
      return new EnumLiteral(
        this.random.chance(0.9) ? this.random.pick(type.getValues()).name : 'BOGUS',
      );
    }
    return scalarValue(type, this.random);
  }

  private inputObject(type: GraphQLInputObjectType, depth: number): Record<string, unknown> {
    const value: Record<string, unknown> = {};
    if (depth > 2) return value;
    for (const field of Object.values(type.getFields())) {
      if (isNonNullType(field.type) || this.random.chance(0.4)) {
        value[field.name] = this.value(field.type, depth + 1);
      }
    }
    if (this.random.chance(0.03)) value.unknownField = 1;
    return value;
  }
}

type GraphQLOutputTypeLike = Parameters<typeof getNamedType>[0];

function scalarValue(type: GraphQLScalarType, random: Random): unknown {
  switch (type.name) {
    case 'Int':
      return random.chance(0.03) ? random.pick(BAD_INTS) : random.pick(INTS);
    case 'Float':
      return random.chance(0.2)
        ? new NumberText(random.pick(NUMBER_TEXTS))
        : random.pick([...INTS, 0.1, -2.5]);
    case 'Boolean':
      return random.chance(0.5);
    case 'ID':
      return random.chance(0.1) ? new NumberText(random.pick(NUMBER_TEXTS)) : random.pick(IDS);
    case 'Decimal':
      return random.chance(0.1) ? new NumberText(random.pick(NUMBER_TEXTS)) : random.pick(DECIMALS);
    default:
      return random.pick(STRINGS);
  }
}

/** A JSON-like value as a GraphQL literal (enums bare, object keys as names). */
export function printLiteral(value: unknown): string {
  if (value instanceof EnumLiteral) return value.name;
  if (value instanceof NumberText) return value.text;
  if (value === null || value === undefined) return 'null';
  if (Array.isArray(value)) return `[${value.map(printLiteral).join(', ')}]`;
  if (typeof value === 'object') {
    const fields = Object.entries(value).map(([k, v]) => `${k}: ${printLiteral(v)}`);
    return `{ ${fields.join(', ')} }`;
  }
  // Numbers and booleans print as JSON does; strings with JSON's escapes, which GraphQL's are.
  return JSON.stringify(value);
}

/** A generated value as JSON variables carry it (an enum is its name). */
function asJson(value: unknown): unknown {
  if (value instanceof EnumLiteral) return value.name;
  if (value instanceof NumberText) return Number(value.text);
  if (Array.isArray(value)) return value.map(asJson);
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, asJson(v)]));
  }
  return value;
}

/**
 * The same document with other literal values where it has string and integer literals, its
 * layout otherwise kept: a variant that shares the compiled form of `query` (its literals are
 * hoisted into variables), with fields moved along their lines by literals of other lengths.
 * Undefined when the document does not parse or has no such literal.
 */
export function literalVariant(query: string, random: Random): string | undefined {
  let document;
  try {
    document = parse(query);
  } catch {
    return undefined;
  }
  const edits: { start: number; end: number; text: string }[] = [];
  visit(document, {
    StringValue(node) {
      if (node.loc && !node.block) {
        edits.push({ ...node.loc, text: JSON.stringify(random.pick(STRINGS)) });
      }
    },
    IntValue(node) {
      if (node.loc) edits.push({ ...node.loc, text: String(random.pick(INTS)) });
    },
  });
  if (!edits.length) return undefined;
  let variant = query;
  for (const { start, end, text } of edits.sort((a, b) => b.start - a.start)) {
    variant = `${variant.slice(0, start)}${text}${variant.slice(end)}`;
  }
  return variant;
}
