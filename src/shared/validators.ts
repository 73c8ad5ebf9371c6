import { ValidateBy, type ValidationOptions } from 'class-validator';

/**
 * Input rules shared by the catalog's inputs. class-validator messages start lower-case so
 * that they read after the field name: "input.price must be a non-negative amount".
 */

/** Trimmed text with at least one visible character and at most `max` characters. */
export function IsName(max: number, options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isName',
      validator: {
        validate: (value: unknown) =>
          typeof value === 'string' && value.trim().length > 0 && value.trim().length <= max,
        defaultMessage: () => `must be 1 to ${max} characters, not blank`,
      },
    },
    options,
  );
}

/** Upper-case letters, digits and inner dashes, 3 to `max` characters: "AUD-0001". */
export function IsSku(max: number, options?: ValidationOptions): PropertyDecorator {
  const pattern = new RegExp(`^[A-Z0-9](?:[A-Z0-9-]{1,${max - 2}})[A-Z0-9]$`);
  return ValidateBy(
    {
      name: 'isSku',
      validator: {
        validate: (value: unknown) => typeof value === 'string' && pattern.test(value),
        defaultMessage: () =>
          `must be 3-${max} upper-case letters, digits or dashes, starting and ending with a letter or digit`,
      },
    },
    options,
  );
}

/** Lower-case words joined by single dashes, at most `max` characters: "garden-tools". */
const SLUG_PATTERN = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;
export function IsSlug(max: number, options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isSlug',
      validator: {
        validate: (value: unknown) =>
          typeof value === 'string' && value.length <= max && SLUG_PATTERN.test(value),
        defaultMessage: () =>
          `must be lower-case words joined by dashes, at most ${max} characters`,
      },
    },
    options,
  );
}

/** Money as numeric(12,2) holds it: not negative, ≤ 10 digits before the point, ≤ 2 after. */
export const MONEY_PATTERN = /^\d{1,10}(\.\d{1,2})?$/;
export function IsMoney(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isMoney',
      validator: {
        validate: (value: unknown) => typeof value === 'string' && MONEY_PATTERN.test(value),
        defaultMessage: () =>
          'must be an amount of at least 0, with at most 10 digits before the point and 2 after',
      },
    },
    options,
  );
}
