/**
 * The crash test of issue 10, short: the app host in its own process, killed with SIGKILL a few
 * times at random points under mixed load and restarted; then every invariant of dev/chaos.ts
 * must hold. The long run is `BENCH_ONLY=chaos npm run bench`. The host runs from dist: `npm test`
 * builds first (run `npm run build` before running this file alone).
 */
import { runChaos } from '../../dev/chaos';

test('killed 3 times under load, nothing is lost, doubled or left unapproved, and the ledger verifies', async () => {
  const result = await runChaos({ kills: 3, minUpMs: 800, maxUpMs: 1500, seed: 7 });
  expect(result.violations).toEqual([]);
  expect(result.verify.ok).toBe(true);
  // The run did something worth checking.
  // The run did real work between kills (at least 4 operations each time, however slow the machine).
  expect(Object.values(result.operations).reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(12);
  expect(result.requests).toBeGreaterThan(0);
  expect(result.grants.active + result.grants.ended).toBeGreaterThan(0);
  // About 25 s alone; it starts first in a fresh clone's run, beside the Chromium suite, and took
  // up to 69 s on a busy 2-core machine: a generous bound, since its time is never what it checks.
}, 150_000);
