import { describe, expect, it } from '@jest/globals';
import {
  getNamedType,
  type GraphQLInputObjectType,
  type GraphQLObjectType,
  type GraphQLResolveInfo,
} from 'graphql';
import { BadUserInputError } from '../shared/errors';
import { buildCatalogSchema } from './schema';
import { validateArgument } from './validation';

/** What type-graphql hands the validator for one call of Query.category. */
async function categoryCall(args: Record<string, unknown>) {
  const schema = await buildCatalogSchema();
  const info = {
    fieldName: 'category',
    parentType: schema.getQueryType() as GraphQLObjectType,
  } as GraphQLResolveInfo;
  return { root: undefined, args, context: {}, info };
}

const run = (argValue: unknown, resolverData: Awaited<ReturnType<typeof categoryCall>>) =>
  Promise.resolve().then(() => validateArgument(argValue, String, resolverData));

describe('validateArgument', () => {
  it('answers an argument without class-validator rules synchronously, without a promise', async () => {
    const call = await categoryCall({ id: '7' });
    expect(validateArgument('7', String, call)).toBeUndefined();
    expect(validateArgument(undefined, String, call)).toBeUndefined();
  });

  it("reports a field's raw problems once per resolver call, and again for the next call", async () => {
    const call = await categoryCall({ slug: 'x'.repeat(65) });
    // First argument of the call: the raw arguments are checked.
    await expect(run(undefined, call)).rejects.toThrow(BadUserInputError);
    // The next argument of the same call: already reported, not again.
    expect(validateArgument(undefined, String, call)).toBeUndefined();
    // The next call of the same field, with the same arguments: checked again.
    const again = await categoryCall({ slug: 'x'.repeat(65) });
    await expect(run(undefined, again)).rejects.toThrow(/slug/);
    // A clean call after it is clean.
    expect(validateArgument('7', String, await categoryCall({ id: '7' }))).toBeUndefined();
  });
});

describe('validateArgument on arguments without text', () => {
  it('still reports a string inside a list or an input object', async () => {
    const schema = await buildCatalogSchema();
    const mutation = schema.getMutationType() as GraphQLObjectType;
    const [fieldName, field] = Object.entries(mutation.getFields()).find(([, f]) =>
      f.args.some((a) => a.name === 'input'),
    )!;
    const info = { fieldName, parentType: mutation } as GraphQLResolveInfo;
    const stringField = Object.values(
      (
        getNamedType(field.args.find((a) => a.name === 'input')!.type) as GraphQLInputObjectType
      ).getFields(),
    ).find((f) => getNamedType(f.type).name === 'String')!;
    const args = { input: { [stringField.name]: 'a\u0000b' } };
    await expect(
      Promise.resolve().then(() =>
        validateArgument(undefined, String, { root: undefined, args, context: {}, info }),
      ),
    ).rejects.toThrow(`input.${stringField.name} must not contain NUL characters`);
  });
});
