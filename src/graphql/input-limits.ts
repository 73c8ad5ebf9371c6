import {
  getNamedType,
  isInputObjectType,
  isListType,
  isNonNullType,
  type GraphQLArgument,
  type GraphQLField,
  type GraphQLInputField,
  type GraphQLInputType,
  type GraphQLResolveInfo,
} from 'graphql';
import { MetadataStorage } from '@mikro-orm/postgresql';
import { Extensions } from 'type-graphql';
import type { FieldProblem } from '../shared/errors';

/**
 * Length caps for every String and ID argument and input field, checked in one place
 * (`inputProblems`, run by src/graphql/validation.ts before any resolver reads its arguments).
 * A field without its own cap gets the default of its type, so a new argument is never
 * uncapped; `@MaxChars(n)` sets a field's own cap (a cursor, a description).
 */

/** Ids are PostgreSQL integers; src/shared/ids.ts reads up to 20 digits, with spaces around. */
export const MAX_ID_LENGTH = 32;
/** Names, slugs, SKUs and searches all fit; longer texts say so with `@MaxChars`. */
export const DEFAULT_MAX_STRING_LENGTH = 200;

/** This field's maximum length in characters, shown to tools as the `maxLength` extension. */
export function MaxChars(max: number): PropertyDecorator {
  return Extensions({ maxLength: max });
}

/**
 * The length of an entity's varchar column, read from its decorator: an input that writes (or
 * looks up) that column is capped by it, so the cap and the column cannot drift apart.
 */
export function columnLength<E>(entity: abstract new () => E, property: keyof E & string): number {
  const { properties } = MetadataStorage.getMetadataFromDecorator(entity) as {
    properties: Record<string, { length?: unknown } | undefined>;
  };
  const length = properties[property]?.length;
  if (typeof length !== 'number') {
    throw new Error(`${entity.name}.${property} is not a column with a length`);
  }
  return length;
}

/** The cap of a String/ID argument or input field; null for other types (enums, Int, inputs). */
export function maxLengthOf(input: GraphQLArgument | GraphQLInputField): number | null {
  const type = getNamedType(input.type);
  if (type.name !== 'String' && type.name !== 'ID') return null;
  const own = input.extensions.maxLength;
  if (typeof own === 'number') return own;
  return type.name === 'ID' ? MAX_ID_LENGTH : DEFAULT_MAX_STRING_LENGTH;
}

/** The definition of the field being resolved, whose arguments carry the caps. */
export function fieldOf(info: GraphQLResolveInfo): GraphQLField<unknown, unknown> | undefined {
  return info.parentType.getFields()[info.fieldName];
}

/**
 * Every overlong string and every NUL character (PostgreSQL text cannot hold one) in a field's
 * arguments as the client sent them, each named by its own path: "search", "input.name",
 * "filter.categorySlug". Runs on the coerced GraphQL arguments, so names never need guessing.
 */
export function inputProblems(
  field: GraphQLField<unknown, unknown>,
  args: Record<string, unknown>,
): FieldProblem[] {
  return field.args.flatMap((arg) => valueProblems(args[arg.name], arg.type, arg.name, arg));
}

function valueProblems(
  value: unknown,
  type: GraphQLInputType,
  path: string,
  input: GraphQLArgument | GraphQLInputField,
): FieldProblem[] {
  if (value === null || value === undefined) return [];
  const inner = isNonNullType(type) ? type.ofType : type;
  if (isListType(inner) && Array.isArray(value)) {
    return value.flatMap((item, i) => valueProblems(item, inner.ofType, `${path}.${i}`, input));
  }
  if (isInputObjectType(inner) && typeof value === 'object') {
    const fields = inner.getFields();
    return Object.values(fields).flatMap((field) =>
      valueProblems(
        (value as Record<string, unknown>)[field.name],
        field.type,
        `${path}.${field.name}`,
        field,
      ),
    );
  }
  if (typeof value !== 'string') return [];
  const problems: FieldProblem[] = [];
  const max = maxLengthOf(input);
  if (max !== null && characterCount(value, max) > max) {
    problems.push({
      field: path,
      constraint: 'maxLength',
      message: `must be at most ${max} characters`,
    });
  }
  if (value.includes('\u0000')) {
    problems.push({
      field: path,
      constraint: 'noNulCharacters',
      message: 'must not contain NUL characters',
    });
  }
  return problems;
}

/**
 * Characters as PostgreSQL counts them (code points), so an emoji counts once, as in a
 * varchar(n) column. Past twice the cap the exact count cannot matter and is not taken.
 */
function characterCount(value: string, max: number): number {
  if (value.length <= max || value.length > 2 * max) return value.length;
  return Array.from(value).length;
}
