/**
 * Fails the run if a worker reported handles left open (see leakCheck.ts and leaks.setup.cjs).
 * The runner may let its workers go without waiting for them, so this waits for each worker that
 * signed in to sign out.
 */
const { existsSync, readdirSync, readFileSync, rmSync } = require('node:fs');
const { join } = require('node:path');
const { setTimeout: sleep } = require('node:timers/promises');

const SIGN_OUT_WAIT_MS = 10_000;

module.exports = async function reportLeaks() {
  const dir = process.env.AM_TEST_LEAKS_DIR;
  if (!dir) return;
  const workers = readdirSync(dir).filter((file) => file.endsWith('.started')).map((file) => file.replace(/\.started$/, ''));
  const doneFile = (worker) => join(dir, `${worker}.done`);
  for (const deadline = Date.now() + SIGN_OUT_WAIT_MS; Date.now() < deadline && !workers.every((w) => existsSync(doneFile(w))); ) await sleep(50);
  const reports = workers.map((worker) => {
    if (!existsSync(doneFile(worker))) return `${worker}: did not exit within ${SIGN_OUT_WAIT_MS / 1000} s of the run's end`;
    const leftOpen = JSON.parse(readFileSync(doneFile(worker), 'utf8'));
    return leftOpen.length > 0 ? `${worker}: ${leftOpen.join(', ')}` : undefined;
  }).filter(Boolean);
  rmSync(dir, { recursive: true, force: true });
  if (reports.length > 0) {
    throw new Error(`A test file left handles open after its tests (close its servers, sockets, child processes and timers in afterAll):\n${reports.join('\n')}`);
  }
};
