/**
 * Reconcile against the seed policies (policies/*.yaml, a real PolicySet): one row per kind of
 * drift. Each live assignment is judged by decideAssignment exactly as the event path judges it
 * (coverage = the grants of its triple, then the breaker); decideReconcile says which grants
 * vanished and which assignments must be judged again once they ended.
 */
import { join } from 'node:path';
import { roleAssignmentId } from '../../shared/domain/armIds';
import { applyBreakerOutcome, decideAssignment, decideReconcile, findExemption, tripleKey, type AssignmentView, type Decision, type ReconcileGrantView, type ReconcileResult } from '../../shared/domain/enforcement/decide';
import { type PolicySet } from '../../shared/domain/policy';
import { loadPolicies } from '../../shared/adapters/policyFiles';
import { APP_ASSIGNMENT_NAME, BREAKGLASS_ASSIGNMENT_NAME, DAVE_BASELINE_ASSIGNMENT_NAME, PEOPLE, RG, SUBSCRIPTION_SCOPE } from '../../dev/tenant';

const NOW = new Date('2026-11-20T12:00:00Z');
const LISTED_AT = new Date(NOW.getTime() - 5_000);
const HOUR = 3_600_000;
const at = (offsetMs: number): string => new Date(NOW.getTime() + offsetMs).toISOString();
const roleId = (guid: string): string => `${SUBSCRIPTION_SCOPE}/providers/Microsoft.Authorization/roleDefinitions/${guid}`;

const OWNER = roleId('8e3af657-a8ff-443c-a75c-2fe8c4bcb635');
const READER = roleId('acdd72a7-3385-48ef-bd42-f606fba81ae7');
const UAA = roleId('18d7d88d-d35e-4fb5-a5c3-7773c20a72d9');
const BLOB_READER = roleId('2a2b9908-6ea1-4ae2-8e65-a410df84e7d1');
const BLOB_CONTRIBUTOR = roleId('ba92f5b4-2d11-453d-a403-e96b0029c9fe');
const KV_SECRETS_USER = roleId('4633458b-17de-408a-b874-0445c86b69e6');

const guid = (n: number): string => `00000000-0000-4000-8000-${n.toString(16).padStart(12, '0')}`;

function assignment(name: string, scope: string, principalId: string, roleDefinitionId: string): AssignmentView {
  return { id: roleAssignmentId(scope, name), name, scope, principalId, principalType: 'User', roleDefinitionId };
}

function grant(id: string, overrides: Partial<ReconcileGrantView> & Pick<ReconcileGrantView, 'principalId' | 'roleDefinitionId' | 'scope'>): ReconcileGrantView {
  return { id, assignmentId: roleAssignmentId(overrides.scope, id), status: 'active', startsAt: at(-HOUR), expiresAt: at(HOUR), ...overrides };
}

const MG = '/providers/Microsoft.Management/managementGroups/mg-research';
const live: AssignmentView[] = [
  assignment(DAVE_BASELINE_ASSIGNMENT_NAME, SUBSCRIPTION_SCOPE, PEOPLE.dave, OWNER),
  assignment(APP_ASSIGNMENT_NAME, SUBSCRIPTION_SCOPE, PEOPLE.accessManager, UAA),
  assignment(BREAKGLASS_ASSIGNMENT_NAME, SUBSCRIPTION_SCOPE, PEOPLE.breakglass, OWNER),
  assignment(guid(1), RG.weights, PEOPLE.alice, BLOB_READER), // alice's granted read
  assignment(guid(2), RG.weights, PEOPLE.mallory, BLOB_READER), // nobody approved it
  assignment(guid(3), RG.sandbox, PEOPLE.mallory, BLOB_CONTRIBUTOR), // sandbox is audit
  assignment(guid(4), SUBSCRIPTION_SCOPE, PEOPLE.bob, READER), // ours, but its grant expired
  assignment(guid(5), RG.research, PEOPLE.carol, BLOB_CONTRIBUTOR), // research's breaker has tripped
  assignment(guid(6), MG, PEOPLE.dave, READER), // inherited from above: not governed
  assignment(guid(7), `${RG.weights}2`, PEOPLE.mallory, OWNER), // rg-weights2 is governed by the baseline, not model-weights
  assignment(guid(8), RG.research, PEOPLE.erin, READER), // another assignment than the grant's, same triple
];

const grants: ReconcileGrantView[] = [
  grant(guid(1), { principalId: PEOPLE.alice.toUpperCase(), roleDefinitionId: BLOB_READER, scope: RG.weights.toUpperCase() }),
  grant(guid(4), { principalId: PEOPLE.bob, roleDefinitionId: READER, scope: SUBSCRIPTION_SCOPE, expiresAt: at(-1) }),
  grant(guid(20), { principalId: PEOPLE.erin, roleDefinitionId: KV_SECRETS_USER, scope: RG.research }), // assignment vanished
  grant(guid(21), { principalId: PEOPLE.erin, roleDefinitionId: KV_SECRETS_USER, scope: RG.weights, startsAt: LISTED_AT.toISOString() }), // newer than the listing
  grant(guid(22), { principalId: PEOPLE.erin, roleDefinitionId: KV_SECRETS_USER, scope: RG.sandbox, expiresAt: at(-1) }), // past expiry: the timer's job
  grant(guid(23), { principalId: PEOPLE.erin, roleDefinitionId: KV_SECRETS_USER, scope: RG.sandbox, status: 'revoked' }),
  grant(guid(24), { principalId: PEOPLE.erin, roleDefinitionId: READER, scope: RG.research }), // guid(8) carries the triple
  grant(guid(25), { principalId: PEOPLE.erin, roleDefinitionId: READER, scope: '/subscriptions/00000000-0000-0000-0000-000000000002/resourceGroups/rg' }), // not listed
];

let seed: PolicySet;
let result: ReconcileResult;
beforeAll(async () => {
  seed = await loadPolicies(join(__dirname, '../../policies'));
  result = decideReconcile({ grants, live, listedScopes: [SUBSCRIPTION_SCOPE], listedAt: LISTED_AT, now: NOW });
});

/** What the enforcer decides for one assignment, given the grants still in force; research's breaker has tripped. */
function judge(assignment: AssignmentView, inForce: readonly ReconcileGrantView[] = grants): Decision {
  const triple = tripleKey(assignment.principalId, assignment.roleDefinitionId, assignment.scope);
  const coverage = inForce.filter((g) => g.status === 'active' && tripleKey(g.principalId, g.roleDefinitionId, g.scope) === triple);
  const policy = seed.governing(assignment.scope);
  const decision = decideAssignment({
    assignment,
    coverage: coverage.map((g) => ({ grantId: g.id, expiresAt: g.expiresAt })),
    isOwnGrantAssignment: coverage.some((g) => g.assignmentId.toLowerCase() === assignment.id.toLowerCase()),
    exemption: findExemption(seed, assignment),
    policy,
    appPrincipalId: PEOPLE.accessManager,
    now: NOW,
  });
  return applyBreakerOutcome(decision, { allowed: policy?.id !== 'research' });
}

test.each<[string, number, Record<string, unknown>]>([
  ["dave's declared baseline Owner", 0, { action: 'exempt', exemptionKind: 'assignment', policyId: 'subscription-baseline' }],
  ["AccessManager's own assignment", 1, { action: 'exempt', exemptionKind: 'self' }],
  ['break-glass', 2, { action: 'exempt', exemptionKind: 'principal' }],
  ["alice's granted read (case differs)", 3, { action: 'allow', grantId: guid(1) }],
  ["mallory's unapproved read at rg-weights", 4, { action: 'revoke', policyId: 'model-weights', mode: 'enforce' }],
  ["mallory's write at rg-sandbox (audit)", 5, { action: 'wouldRevoke', policyId: 'sandbox', mode: 'audit' }],
  ["bob's Reader whose grant expired (AccessManager made it)", 6, { action: 'revoke', policyId: 'subscription-baseline', reason: expect.stringMatching(/^AccessManager created this assignment/) }],
  ["carol's write at rg-research, breaker tripped", 7, { action: 'wouldRevoke', policyId: 'research', breaker: true }],
  ['an assignment inherited from a management group', 8, { action: 'none', reason: 'notGoverned' }],
  ['rg-weights2 is judged by the subscription baseline', 9, { action: 'revoke', policyId: 'subscription-baseline' }],
  ["erin's Reader through another assignment than her grant's, before the grant ends", 10, { action: 'allow', grantId: guid(24) }],
])('%s', (_label, index, expected) => {
  expect(judge(live[index]!)).toMatchObject(expected);
});

test('the grants whose assignment vanished end externally, even when their triple is held again through another assignment', () => {
  const vanished = (id: string, scope: string) => ({
    grantId: id,
    assignmentId: roleAssignmentId(scope, id),
    reason: `role assignment ${roleAssignmentId(scope, id)} is no longer in Azure: it was removed outside AccessManager`,
  });
  expect(result.endedExternally).toEqual([vanished(guid(20), RG.research), vanished(guid(24), RG.research)]);
});

test('an assignment that re-created an ended grant\'s access is judged again, without that grant', () => {
  expect(result.rejudge).toEqual([live[10]!.id]);
  const stillInForce = grants.filter((g) => !result.endedExternally.some((e) => e.grantId === g.id));
  // research is in enforce mode with its breaker tripped in this table: recorded as "would revoke".
  expect(judge(live[10]!, stillInForce)).toMatchObject({ action: 'wouldRevoke', policyId: 'research', breaker: true });
});

test('an empty listing ends every listed, settled, active grant and judges nothing again', () => {
  const empty = decideReconcile({ grants, live: [], listedScopes: [RG.research], listedAt: LISTED_AT, now: NOW });
  expect(empty.endedExternally.map((e) => e.grantId)).toEqual([guid(20), guid(24)]);
  expect(empty.rejudge).toEqual([]);
});

test('findExemption: by principal first, then by assignment, through the real PolicySet', () => {
  expect(findExemption(seed, live[2]!)).toEqual({ kind: 'principal', reason: expect.stringMatching(/break-glass/) });
  expect(findExemption(seed, live[0]!)).toEqual({ kind: 'assignment', reason: expect.stringMatching(/baseline Owner/) });
  expect(findExemption(seed, live[4]!)).toBeUndefined();
  // The baseline exemption pins the subscription scope: the same name elsewhere is not exempt.
  expect(findExemption(seed, assignment(DAVE_BASELINE_ASSIGNMENT_NAME, RG.weights, PEOPLE.dave, OWNER))).toBeUndefined();
});
