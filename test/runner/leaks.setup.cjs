/**
 * The run's half of the check for leaked handles (leakCheck.ts is the workers' half): the folder
 * the workers report into, made before any worker starts so they inherit its name.
 */
const { mkdtempSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { join } = require('node:path');

module.exports = async function makeLeaksFolder() {
  process.env.AM_TEST_LEAKS_DIR = mkdtempSync(join(tmpdir(), 'am-test-leaks-'));
};
