/**
 * Jest: ts-jest transpiles only (tsconfig has isolatedModules); `npm run build` type-checks once.
 * jose (used by @microsoft/agents-hosting) ships ESM only, which jest's module loader cannot
 * require, so it is transpiled to CommonJS too.
 */
const transpile = { diagnostics: false };
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: {
    '^.+\\.ts$': ['ts-jest', transpile],
    '^.+/node_modules/jose/.+\\.js$': ['ts-jest', { ...transpile, tsconfig: { allowJs: true, module: 'commonjs', target: 'ES2022', esModuleInterop: true } }],
  },
  transformIgnorePatterns: ['/node_modules/(?!jose/)'],
  testTimeout: 30000,
  maxWorkers: 2,
};
