/**
 * Jest: @swc/jest strips the types (fast, no type check); `npm run build` type-checks once.
 * jose (used by @microsoft/agents-hosting) ships ESM only, which jest's module loader cannot
 * require, so it is turned into CommonJS too.
 */
const swc = ['@swc/jest', { jsc: { parser: { syntax: 'typescript' }, target: 'es2022' }, module: { type: 'commonjs' } }];
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: {
    '^.+\\.ts$': swc,
    '^.+/node_modules/jose/.+\\.js$': swc,
  },
  transformIgnorePatterns: ['/node_modules/(?!jose/)'],
  testTimeout: 30000,
  maxWorkers: 2,
};
