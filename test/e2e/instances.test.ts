/**
 * Several instances (issue 14), end to end: two app instances (each its own composition root,
 * SDK clients and host) against one store and one simulated Azure, as the Functions scale
 * controller runs them. Event Grid's deliveries are spread across both, and every third one is
 * delivered to the other instance too; both run reconcile and expireGrants at the same moment.
 * Then: one record per decision, one grant per request, breaker state seen alike by both, nothing
 * left behind, and the ledger verifies.
 */
import type { LocalStack } from '../../dev/localStack';
import { spreadDeliveries, startExtraInstance, type DeliverySpread, type ExtraInstance } from '../../dev/instances';
import { PEOPLE, RG, SUBSCRIPTION_SCOPE } from '../../dev/tenant';
import { enforcementStatus } from '../../shared/usecases/enforcement';
import { runExpiry } from '../../shared/usecases/expiry';
import builtInRoles from '../../dev/sim/data/builtin-roles.json';
import { approvedGrant, assignOutOfBand, auditRecords, closeSimAgents, exists, settle, startEnforcementStack, until, USER } from './enforcementHelpers';

const ROLES = (builtInRoles as Array<{ name: string; properties: { roleName: string } }>)
  .filter((r) => !/owner|administrator|contributor/i.test(r.properties.roleName))
  .map((r) => r.name)
  .slice(0, 40);

let stack: LocalStack;
let second: ExtraInstance;
let spread: DeliverySpread;

beforeAll(async () => {
  stack = await startEnforcementStack();
  second = await startExtraInstance(stack, 'second');
  spread = await spreadDeliveries([stack.url, second.host.url]);
  stack.sim.events.setWebhook(spread.webhook);
});

afterAll(async () => {
  await spread?.stop();
  await second?.stop();
  await stack?.stop();
  await closeSimAgents();
});

it('spreads and duplicates deliveries across two instances, runs both timers at once, and keeps one record per decision', async () => {
  // Rogue assignments announced by events (spread and duplicated), and quiet ones only a reconcile finds.
  const rogue = await Promise.all(Array.from({ length: 24 }, (_, i) => assignOutOfBand(stack, { scope: RG.weights, roleGuid: ROLES[i]!, principalId: PEOPLE.mallory })));
  const quiet = Array.from({ length: 6 }, (_, i) => stack.sim.state.seedAssignment({ scope: RG.research, role: ROLES[30 + i]!, principalId: PEOPLE.mallory }));
  // Grants that expire, and one request approved through each instance's API.
  const grants = await Promise.all([
    approvedGrant(stack, { scope: RG.sandbox, role: 'Storage Blob Data Contributor', duration: 'PT1M', approvers: [USER.bob] }),
    approvedGrant(stack, { requester: USER.dave, scope: RG.sandbox, role: 'Storage Blob Data Contributor', duration: 'PT1M', approvers: [USER.carol] }),
  ]);
  await until(() => rogue.every((r) => !exists(stack, r.id)), 'every rogue assignment to be revoked');

  // Both instances run both timers at the same moment (Functions runs a timer on one instance at a time; this is the worst case).
  await Promise.all([stack.host.runTimer('reconcile'), second.host.runTimer('reconcile')]);
  const later = { ...stack.deps, clock: { now: () => new Date(Date.now() + 5 * 60_000) } };
  const laterSecond = { ...second.app.deps, clock: later.clock };
  await Promise.all([runExpiry(later), runExpiry(laterSecond)]);
  await settle(stack);

  expect(spread.counts.perInstance.every((n) => n > 0)).toBe(true);
  expect(spread.counts.duplicates).toBeGreaterThan(0);
  expect([...rogue, ...quiet].filter((r) => exists(stack, r.id))).toEqual([]);
  for (const g of grants) expect(exists(stack, g.assignmentId)).toBe(false);

  const records = await auditRecords(stack, { scope: SUBSCRIPTION_SCOPE });
  const count = (pred: (r: (typeof records)[number]) => boolean) => records.filter(pred).length;
  for (const r of [...rogue, ...quiet]) expect(count((x) => x.action === 'assignment.revoked' && x.assignmentId?.toLowerCase() === r.id.toLowerCase())).toBe(1);
  for (const g of grants) {
    expect(count((x) => x.action === 'grant.created' && x.grantId === g.grantId)).toBe(1);
    expect(count((x) => x.action === 'grant.expired' && x.grantId === g.grantId)).toBe(1);
    expect(count((x) => x.action === 'request.created' && x.requestId === g.requestId)).toBe(1);
  }
  // Both instances read the same breaker state (the store's), and the ledger of both verifies.
  expect(await enforcementStatus(second.app.deps)).toEqual(await enforcementStatus(stack.deps));
  const verify = await second.app.deps.audit.verify();
  expect(verify.ok).toBe(true);
});
