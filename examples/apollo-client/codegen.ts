import type { CodegenConfig } from '@graphql-codegen/cli';

/**
 * Types for every operation in src/operations.graphql, from the server's committed SDL:
 * `npm run codegen` (here or at the repository root). A test fails when the output is stale.
 */
const config: CodegenConfig = {
  schema: '../../schema/schema.graphql',
  documents: ['src/operations.graphql'],
  generates: {
    'src/generated/': {
      preset: 'client',
      presetConfig: { fragmentMasking: false, gqlTagName: 'graphql' },
      config: {
        scalars: { Decimal: 'string', DateTime: 'string' },
        enumsAsTypes: true,
        useTypeImports: true,
      },
    },
  },
  hooks: { afterAllFileWrite: [] },
};

export default config;
