/** Fails the run if a worker reported handles left open (see leakCheck.ts and leaks.setup.cjs). */
const { readdirSync, readFileSync, rmSync } = require('node:fs');
const { join } = require('node:path');

module.exports = async function reportLeaks() {
  const dir = process.env.AM_TEST_LEAKS_DIR;
  if (!dir) return;
  const reports = readdirSync(dir).map((file) => `${file.replace(/\.json$/, '')}: ${JSON.parse(readFileSync(join(dir, file), 'utf8')).join(', ')}`);
  rmSync(dir, { recursive: true, force: true });
  if (reports.length > 0) {
    throw new Error(`A test file left handles open after its tests (close its servers, sockets, child processes and timers in afterAll):\n${reports.join('\n')}`);
  }
};
