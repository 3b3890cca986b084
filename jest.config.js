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
  testSequencer: '<rootDir>/jest.sequencer.js',
  maxWorkers: 2,
  // A worker that ran many end-to-end files holds about 1 GB, and handing that much memory back
  // takes this VM longer than jest's default 500 ms (a bare 750 MB Node process: 220 ms), so jest
  // used to report "failed to exit gracefully" and kill it. The workers hold no handle by then
  // (checked at their 'exit' event: only stdout and stderr); they only need the time to go.
  workerGracefulExitTimeout: 5000,
};
