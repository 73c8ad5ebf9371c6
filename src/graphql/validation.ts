import { getMetadataStorage, validate, type ValidationError } from 'class-validator';
import type { ValidatorFn } from 'type-graphql';
import { BadUserInputError, type FieldProblem } from '../shared/errors';

/**
 * type-graphql's argument validation, reporting in our error shape: every problem of every
 * argument at once, each with its path ("input.price"), the rule it broke and a message.
 * NUL characters are refused in any string argument: PostgreSQL cannot store them in text.
 */
export const validateArgument: ValidatorFn = async (argValue, _argType, { args }) => {
  const argName = Object.keys(args).find((name) => args[name] === argValue) ?? 'input';
  const problems = findNulCharacters(argValue, argName);
  if (hasConstraints(argValue)) {
    const errors = await validate(argValue, {
      skipUndefinedProperties: true, // absent fields of a partial update are left alone
      forbidUnknownValues: false,
      validationError: { target: false, value: false },
    });
    problems.push(...flatten(errors, argName));
  }
  if (problems.length) {
    const summary = problems.map((p) => `${p.field} ${p.message}`).join('; ');
    throw new BadUserInputError(`Invalid input: ${summary}`, problems);
  }
};

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
    const field = `${prefix}.${error.property}`;
    const own = Object.entries(error.constraints ?? {}).map(([constraint, message]) => ({
      field,
      constraint,
      message,
    }));
    return [...own, ...flatten(error.children ?? [], field)];
  });
}

function findNulCharacters(value: unknown, path: string): FieldProblem[] {
  if (typeof value === 'string') {
    return value.includes('\u0000')
      ? [{ field: path, constraint: 'noNulCharacters', message: 'must not contain NUL characters' }]
      : [];
  }
  if (Array.isArray(value))
    return value.flatMap((item, i) => findNulCharacters(item, `${path}.${i}`));
  if (value !== null && typeof value === 'object') {
    return Object.entries(value).flatMap(([key, item]) =>
      findNulCharacters(item, `${path}.${key}`),
    );
  }
  return [];
}
