/** decideReconcile against the seed policies (policies/*.yaml, a real PolicySet): one row per kind of drift. */
import { join } from 'node:path';
import { roleAssignmentId } from '../../shared/domain/armIds';
import { decideReconcile, findExemption, type AssignmentView, type ReconcileGrantView, type ReconcileResult } from '../../shared/domain/enforcement/decide';
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
  result = decideReconcile({
    liveAssignments: live,
    grants,
    listedScope: SUBSCRIPTION_SCOPE,
    listedAt: LISTED_AT,
    policies: seed,
    isBreakerTripped: (policyId) => policyId === 'research',
    appPrincipalId: PEOPLE.accessManager,
    now: NOW,
  });
});

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
  ["erin's Reader through another assignment than her grant's", 10, { action: 'allow', grantId: guid(24) }],
])('%s', (_label, index, expected) => {
  expect(result.assignments[index]!.assignment).toBe(live[index]);
  expect(result.assignments[index]!.decision).toMatchObject(expected);
});

test('one decision per live assignment, in order', () => {
  expect(result.assignments.map((a) => a.assignment)).toEqual(live);
});

test('only the grant whose access vanished ends externally', () => {
  expect(result.endedExternally).toEqual([
    {
      grantId: guid(20),
      assignmentId: roleAssignmentId(RG.research, guid(20)),
      reason: `role assignment ${roleAssignmentId(RG.research, guid(20))} is no longer in Azure: it was removed outside AccessManager`,
    },
  ]);
});

test('an empty listing judges nothing and ends every listed, settled, active grant', () => {
  const empty = decideReconcile({
    liveAssignments: [],
    grants,
    listedScope: RG.research,
    listedAt: LISTED_AT,
    policies: seed,
    isBreakerTripped: () => false,
    appPrincipalId: PEOPLE.accessManager,
    now: NOW,
  });
  expect(empty.assignments).toEqual([]);
  expect(empty.endedExternally.map((e) => e.grantId)).toEqual([guid(20), guid(24)]);
});

test('findExemption: by principal first, then by assignment, through the real PolicySet', () => {
  expect(findExemption(seed, live[2]!)).toEqual({ kind: 'principal', reason: expect.stringMatching(/break-glass/) });
  expect(findExemption(seed, live[0]!)).toEqual({ kind: 'assignment', reason: expect.stringMatching(/baseline Owner/) });
  expect(findExemption(seed, live[4]!)).toBeUndefined();
  // The baseline exemption pins the subscription scope: the same name elsewhere is not exempt.
  expect(findExemption(seed, assignment(DAVE_BASELINE_ASSIGNMENT_NAME, RG.weights, PEOPLE.dave, OWNER))).toBeUndefined();
});
