import { getMetadataStorage, validate, type ValidationError } from 'class-validator';
import { getNamedType, type GraphQLResolveInfo } from 'graphql';
import { getMetadataStorage as getTypeMetadata, type ValidatorFn } from 'type-graphql';
import { BadUserInputError, type FieldProblem } from '../shared/errors';
import { fieldOf, inputProblems } from './input-limits';

/**
 * type-graphql's argument validation, reporting in our error shape: every problem at once, each
 * with the path the client wrote ("search", "input.price", "filter.categorySlug"), the rule it
 * broke and a message. Length caps and NUL characters are checked on the field's raw arguments
 * (src/graphql/input-limits.ts), then class-validator rules on this argument's class.
 */
export const validateArgument: ValidatorFn = (argValue, _argType, resolverData) => {
  // type-graphql calls this once per argument with the same resolverData, one call straight after
  // another (getParams maps the parameters synchronously): the raw arguments of the whole field
  // are checked on the first call only. One slot instead of a WeakSet: nothing added per call.
  const problems = lastChecked === resolverData ? [] : rawProblems(resolverData);
  lastChecked = resolverData;
  // Page sizes, cursors and ids have no class-validator rules: answered without a promise, which
  // type-graphql awaits all the same (docs/performance.md#deep-lists).
  if (!hasConstraints(argValue)) {
    if (problems.length) throw invalidInput(problems);
    return undefined;
  }
  return validate(argValue, {
    skipUndefinedProperties: true, // absent fields of a partial update are left alone
    forbidUnknownValues: false,
    validationError: { target: false, value: false },
  }).then((errors) => {
    // A value already refused as too long or with NUL is not reported twice.
    const seen = new Set(problems.map((p) => p.field));
    const prefix = argumentPath(argValue, resolverData.info);
    problems.push(...flatten(errors, prefix).filter((p) => !seen.has(p.field)));
    if (problems.length) throw invalidInput(problems);
  });
};

/** The resolver call whose raw arguments were checked last (kept until the next call). */
let lastChecked: object | undefined;

function invalidInput(problems: FieldProblem[]): BadUserInputError {
  const summary = problems.map((p) => `${p.field} ${p.message}`).join('; ');
  return new BadUserInputError(`Invalid input: ${summary}`, problems);
}

function rawProblems(resolverData: {
  args: Record<string, unknown>;
  info: GraphQLResolveInfo;
}): FieldProblem[] {
  if (!hasText(resolverData.args)) return []; // only strings break a cap or hold a NUL
  const field = fieldOf(resolverData.info);
  return field ? inputProblems(field, resolverData.args) : [];
}

/**
 * Whether any argument holds a string, or a list or input object that may: page sizes alone
 * (`first: 10` on each of W3's 220 lists) are not walked against the field's definition.
 */
function hasText(args: Record<string, unknown>): boolean {
  for (const key in args) {
    const value = args[key];
    if (typeof value === 'string' || (typeof value === 'object' && value !== null)) return true;
  }
  return false;
}

/**
 * Where an argument's class sits in the client's arguments: an @ArgsType's fields are
 * arguments themselves (""), an @InputType is the argument of that type ("input").
 */
function argumentPath(value: object, info: GraphQLResolveInfo): string {
  const inputType = getTypeMetadata().inputTypes.find((t) => t.target === value.constructor);
  if (!inputType) return '';
  const arg = fieldOf(info)?.args.find((a) => getNamedType(a.type).name === inputType.name);
  return arg?.name ?? '';
}

/**
 * Whether class-validator has rules for the argument's class. Most arguments (page sizes and
 * cursors, ids) have none; running the validator anyway cost every paged field of every row.
 */
const constrained = new Map<unknown, boolean>();
function hasConstraints(value: unknown): value is object {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  const type = value.constructor;
  let known = constrained.get(type);
  if (known === undefined) {
    known = getMetadataStorage().getTargetValidationMetadatas(type, '', true, false).length > 0;
    constrained.set(type, known);
  }
  return known;
}

function flatten(errors: ValidationError[], prefix: string): FieldProblem[] {
  return errors.flatMap((error) => {
    const field = prefix ? `${prefix}.${error.property}` : error.property;
    const own = Object.entries(error.constraints ?? {}).map(([constraint, message]) => ({
      field,
      constraint,
      message,
    }));
    return [...own, ...flatten(error.children ?? [], field)];
  });
}
