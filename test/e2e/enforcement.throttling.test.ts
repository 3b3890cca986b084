/**
 * ARM's throttling, end to end (issue 14): the simulated ARM enforces small token buckets per
 * subscription and caller; a burst of rogue assignments across two governed subscriptions
 * spends more deletes than a bucket holds. Every one is revoked exactly once: 429s are retried
 * after Retry-After (the SDK's retry policy, paced by AccessManager's ARM pacer) or by Event
 * Grid's redelivery, never dropped; and a reconcile running beside it leaves its reserve.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { LocalStack } from '../../dev/localStack';
import { MANAGEMENT_GROUP, PEOPLE, RG, TRAINING_SUBSCRIPTION_SCOPE } from '../../dev/tenant';
import { subscriptionOf } from '../../shared/domain/armIds';
import type { ArmPacer } from '../../shared/adapters/arm/armPacer';
import builtInRoles from '../../dev/sim/data/builtin-roles.json';
import { assignOutOfBand, closeSimAgents, decisionsFor, exists, policiesCopy, settle, startEnforcementStack, until } from './enforcementHelpers';

const ROGUE_PER_SUBSCRIPTION = 12;
/** Azure allows one assignment per (principal, role, scope): distinct roles (not privileged ones) make distinct assignments. */
const ROLES = (builtInRoles as Array<{ name: string; properties: { roleName: string } }>)
  .filter((r) => !/owner|administrator|contributor/i.test(r.properties.roleName))
  .map((r) => r.name)
  .slice(0, 40);

let stack: LocalStack;
let cleanup: () => Promise<void>;

beforeAll(async () => {
  const policies = await policiesCopy((_file, text) => text);
  cleanup = policies.cleanup;
  await writeFile(join(policies.dir, 'training.yaml'), ['id: training', 'description: Training runs.', `scope: ${RG.training}`, 'mode: enforce', 'kind: rigid', ''].join('\n'));
  stack = await startEnforcementStack({
    policiesDir: policies.dir,
    settings: { GOVERNED_MANAGEMENT_GROUP: MANAGEMENT_GROUP.name },
    // Small buckets at ARM's refill rates: a handful of deletes empties one.
    knobs: { armThrottle: { reads: { burst: 40, perSecond: 25 }, writes: { burst: 100, perSecond: 10 }, deletes: { burst: 6, perSecond: 10 } } },
  });
  stack.sim.state.seedAssignment({ scope: TRAINING_SUBSCRIPTION_SCOPE, role: 'Owner', principalId: PEOPLE.dave, createdOn: '2026-01-05T09:00:00Z' });
});

afterAll(async () => {
  await stack?.stop();
  await cleanup?.();
  await closeSimAgents();
});

it('revokes every rogue assignment of a burst larger than the delete bucket, each exactly once, with a reconcile running beside it', async () => {
  // Standing rogue assignments no event announced: the reconcile finds and revokes them in the background.
  const quiet = [RG.weights, RG.training].flatMap((scope) => Array.from({ length: 4 }, (_, i) => stack.sim.state.seedAssignment({ scope, role: ROLES[30 + i]!, principalId: PEOPLE.mallory })));
  const reconcile = stack.host.runTimer('reconcile');
  const rogue = await Promise.all(
    [RG.weights, RG.training].flatMap((scope) => Array.from({ length: ROGUE_PER_SUBSCRIPTION }, (_, i) => assignOutOfBand(stack, { scope, roleGuid: ROLES[i]!, principalId: PEOPLE.mallory }))),
  );
  await reconcile;
  await until(() => rogue.every((r) => !exists(stack, r.id)), 'every rogue assignment to be revoked', 30_000);
  await settle(stack);
  for (const q of quiet) {
    if (exists(stack, q.id)) await stack.host.runTimer('reconcile'); // a reconcile cut short by throttling: the next run finishes it
  }
  expect(quiet.filter((q) => exists(stack, q.id))).toEqual([]);

  for (const r of [...rogue, ...quiet]) {
    const scope = `/subscriptions/${subscriptionOf(r.id)}`;
    expect(await decisionsFor(stack, r.id, scope)).toEqual({ 'assignment.revoked': 1 });
  }
  // The buckets did refuse calls, and each refusal was met again: the pacer saw every 429 the simulator sent AccessManager.
  const pacer = stack.deps.pacing as ArmPacer;
  const simThrottled = stack.sim.throttle.throttled;
  expect(pacer.stats.throttled).toBe(simThrottled.reads + simThrottled.writes + simThrottled.deletes);
  expect(pacer.stats.sent.urgent.deletes + pacer.stats.sent.background.deletes).toBeGreaterThanOrEqual(rogue.length + quiet.length);
  expect(pacer.stats.held + pacer.stats.throttled).toBeGreaterThan(0);
});
