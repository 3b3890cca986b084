/**
 * The worker's half of the check for leaked handles. jest-light-runner runs many test files in
 * one worker process and lets it go when all have run, so a server, socket, child process or
 * timer that a file forgot to close would pass unseen (jest's own runner used to report it as a
 * worker that did not exit). Each worker signs in when it starts; when jest lets it go, it lists
 * what still keeps it alive besides its pipes to jest, signs out with that list, and exits.
 * test/runner/leaks.teardown.cjs waits for every worker to sign out and fails the run if any
 * named something.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** stdin/stdout/stderr and the IPC channel to jest. */
const OWN_PIPES = new Set(['PipeWrap', 'TTYWrap']);

const dir = process.env['AM_TEST_LEAKS_DIR'];

function signOut(): void {
  const leftOpen = process.getActiveResourcesInfo().filter((kind) => !OWN_PIPES.has(kind));
  if (dir) writeFileSync(join(dir, `worker-${process.pid}.done`), JSON.stringify(leftOpen));
  process.exit(0);
}

if (dir) {
  writeFileSync(join(dir, `worker-${process.pid}.started`), '');
  // The runner lets a worker go by closing its IPC channel; SIGTERM in case it signals instead.
  process.once('disconnect', signOut);
  process.once('SIGTERM', signOut);
}
