/**
 * Many governed subscriptions (issue 14), end to end through the real SDK clients: with
 * GOVERNED_MANAGEMENT_GROUP=mg-research, the seed subscription and the training subscription
 * under the group are governed (read from ARM at start-up); the subscription outside it is not.
 * Events from either governed subscription are enforced, events from the ungoverned one are
 * ignored without touching anything, reconcile lists both, and the access view and the audit
 * queries span them.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { LocalStack } from '../../dev/localStack';
import { LOCAL_SUBSCRIPTION_ID, MANAGEMENT_GROUP, PEOPLE, RG, SUBSCRIPTION_SCOPE, TRAINING_SUBSCRIPTION_ID, TRAINING_SUBSCRIPTION_SCOPE, UNGOVERNED_SUBSCRIPTION_ID, UNGOVERNED_SUBSCRIPTION_SCOPE } from '../../dev/tenant';
import { approvedGrant, asUser, assignOutOfBand, auditRecords, closeSimAgents, decisionsFor, exists, policiesCopy, ROLE, settle, startEnforcementStack, until, USER } from './enforcementHelpers';

const TRAINING_POLICY = [
  'id: training',
  'description: Training runs in the second subscription, governed through mg-research.',
  `scope: ${RG.training}`,
  'mode: enforce',
  'kind: rigid',
  'roles:',
  '  - role: Reader',
  '    maxDuration: PT8H',
  '    approvals: 1',
  '    approvers:',
  '      groups: [00000000-0000-4000-8000-000000000021]',
  '',
].join('\n');

let stack: LocalStack;
let cleanup: () => Promise<void>;

beforeAll(async () => {
  const policies = await policiesCopy((_file, text) => text);
  cleanup = policies.cleanup;
  await writeFile(join(policies.dir, 'training.yaml'), TRAINING_POLICY);
  stack = await startEnforcementStack({ policiesDir: policies.dir, settings: { GOVERNED_MANAGEMENT_GROUP: MANAGEMENT_GROUP.name } });
  // dave administers the other subscriptions too (outside any policy's scope: nobody judges it).
  for (const scope of [TRAINING_SUBSCRIPTION_SCOPE, UNGOVERNED_SUBSCRIPTION_SCOPE]) stack.sim.state.seedAssignment({ scope, role: 'Owner', principalId: PEOPLE.dave, createdOn: '2026-01-05T09:00:00Z' });
});

afterAll(async () => {
  await stack?.stop();
  await cleanup?.();
  await closeSimAgents();
});

it('governs every subscription under the management group, read from ARM, and nothing else', () => {
  expect([...stack.deps.governed.subscriptions].sort()).toEqual([LOCAL_SUBSCRIPTION_ID, TRAINING_SUBSCRIPTION_ID]);
  expect(stack.deps.governed.subscriptions.has(UNGOVERNED_SUBSCRIPTION_ID)).toBe(false);
});

it('revokes a rogue assignment in the second subscription from its own event', async () => {
  const rogue = await assignOutOfBand(stack, { scope: RG.training, roleGuid: ROLE.reader, principalId: PEOPLE.mallory });
  await until(() => !exists(stack, rogue.id), 'the rogue assignment in the training subscription to be revoked');
  await settle(stack);
  expect(await decisionsFor(stack, rogue.id, TRAINING_SUBSCRIPTION_SCOPE)).toEqual({ 'assignment.revoked': 1 });
});

it('ignores events of a subscription outside the governed scopes: no ARM read, no record, nothing revoked', async () => {
  const before = stack.sim.state.stats.armRequests;
  const outside = await assignOutOfBand(stack, { scope: RG.external, roleGuid: ROLE.reader, principalId: PEOPLE.mallory });
  await settle(stack);
  expect(exists(stack, outside.id)).toBe(true);
  expect(await decisionsFor(stack, outside.id, '/')).toEqual({});
  // The test's own PUT is the only ARM call: AccessManager did not even read the assignment.
  expect(stack.sim.state.stats.armRequests - before).toBe(1);
});

it('reconcile lists every governed subscription and finds what no event announced', async () => {
  const inSeed = stack.sim.state.seedAssignment({ scope: RG.weights, role: 'Storage Blob Data Reader', principalId: PEOPLE.mallory });
  const inTraining = stack.sim.state.seedAssignment({ scope: RG.training, role: 'Reader', principalId: PEOPLE.mallory });
  const outside = stack.sim.state.seedAssignment({ scope: RG.external, role: 'Reader', principalId: PEOPLE.mallory });
  await stack.host.runTimer('reconcile');
  expect(exists(stack, inSeed.id)).toBe(false);
  expect(exists(stack, inTraining.id)).toBe(false);
  expect(exists(stack, outside.id)).toBe(true);
  expect(await decisionsFor(stack, inTraining.id, TRAINING_SUBSCRIPTION_SCOPE)).toEqual({ 'assignment.revoked': 1 });
});

it('grants in the second subscription, shows live access and audit across both subscriptions', async () => {
  const grant = await approvedGrant(stack, { scope: RG.training, role: 'Reader', duration: 'PT1H', approvers: [USER.bob] });
  expect(exists(stack, grant.assignmentId)).toBe(true);
  const view = await asUser<{ items: Array<{ assignmentId: string; scope: string }> }>(stack, USER.erin, 'GET', '/api/access');
  expect(view.status).toBe(200);
  const subscriptions = new Set(view.body.items.map((i) => i.scope.split('/')[2]?.toLowerCase()));
  expect(subscriptions).toEqual(new Set([LOCAL_SUBSCRIPTION_ID, TRAINING_SUBSCRIPTION_ID]));
  expect(view.body.items.some((i) => i.assignmentId.toLowerCase() === grant.assignmentId.toLowerCase())).toBe(true);

  const training = await auditRecords(stack, { scope: TRAINING_SUBSCRIPTION_SCOPE });
  expect(training.some((r) => r.action === 'grant.created' && r.grantId === grant.grantId)).toBe(true);
  expect(training.every((r) => r.scope?.toLowerCase().startsWith(TRAINING_SUBSCRIPTION_SCOPE))).toBe(true);
  const seed = await auditRecords(stack, { scope: SUBSCRIPTION_SCOPE });
  expect(seed.some((r) => r.grantId === grant.grantId)).toBe(false);
});
