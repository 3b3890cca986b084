/**
 * The worker's half of the check for leaked handles. jest-light-runner runs many test files in
 * one worker process and ends it with SIGTERM when all have run, so a server, socket, child
 * process or timer that a file forgot to close would pass unseen (jest's own runner used to report
 * it as a worker that did not exit). On that signal the worker lists what still keeps it alive
 * besides its pipes to jest; test/runner/leaks.teardown.cjs fails the run if any worker named something.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** stdin/stdout/stderr and the IPC channel to jest. */
const OWN_PIPES = new Set(['PipeWrap', 'TTYWrap']);

process.once('SIGTERM', () => {
  const leftOpen = process.getActiveResourcesInfo().filter((kind) => !OWN_PIPES.has(kind));
  const dir = process.env['AM_TEST_LEAKS_DIR'];
  if (leftOpen.length > 0 && dir) writeFileSync(join(dir, `worker-${process.pid}.json`), JSON.stringify(leftOpen));
  process.exit(0);
});
