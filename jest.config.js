/**
 * Jest, with jest-light-runner: each worker is one Node process that imports test file after test
 * file, so the SDKs and our modules load once per worker instead of once per file in a fresh
 * registry (that loading was most of an end-to-end file's time). tsx strips the types as files
 * load (`npm run build` type-checks once); jose, ESM only, loads through Node's own require(esm).
 * What the light runner leaves out, test/runner puts back: a time bound on every test and hook,
 * and a check that no file leaves handles open.
 */
module.exports = {
  runner: ['jest-light-runner', { runtime: 'child_process' }],
  setupFiles: ['tsx', '<rootDir>/test/runner/leakCheck.ts'],
  setupFilesAfterEnv: ['<rootDir>/test/runner/timeBounds.ts'],
  globalSetup: '<rootDir>/test/runner/leaks.setup.cjs',
  globalTeardown: '<rootDir>/test/runner/leaks.teardown.cjs',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  moduleFileExtensions: ['ts', 'js', 'cjs', 'mjs', 'json'],
  testSequencer: '<rootDir>/jest.sequencer.js',
  maxWorkers: 2,
};
