import { join } from 'node:path';
import { GROUPS, PEOPLE, RG, SUBSCRIPTION_SCOPE, DAVE_BASELINE_ASSIGNMENT_NAME, APP_ASSIGNMENT_NAME } from '../../dev/tenant';
import { exceptionTerms, findPolicyRole, PolicySet, type PolicySet as PolicySetType } from '../../shared/domain/policy';
import { loadPolicies } from '../../shared/adapters/policyFiles';
import { roleAssignmentId } from '../../shared/domain/armIds';

const SEED_DIR = join(__dirname, '../../policies');
const READER = 'acdd72a7-3385-48ef-bd42-f606fba81ae7';
const BLOB_READER = '2a2b9908-6ea1-4ae2-8e65-a410df84e7d1';
const BLOB_CONTRIBUTOR = 'ba92f5b4-2d11-453d-a403-e96b0029c9fe';
const KV_SECRETS_USER = '4633458b-17de-408a-b874-0445c86b69e6';

let seed: PolicySetType;
beforeAll(async () => {
  seed = await loadPolicies(SEED_DIR);
});

describe('the seed policies (API.md table)', () => {
  test('load all four', () => {
    expect(seed.policies.map((p) => p.id).sort()).toEqual(['model-weights', 'research', 'sandbox', 'subscription-baseline']);
  });

  test('subscription-baseline: Reader P1D, 1 from security-team, enforce, rigid', () => {
    const p = seed.byId('subscription-baseline')!;
    expect(p).toMatchObject({ scope: SUBSCRIPTION_SCOPE, mode: 'enforce', kind: 'rigid' });
    expect(p.roles).toHaveLength(1);
    expect(p.roles[0]).toMatchObject({
      roleName: 'Reader',
      roleDefinitionGuid: READER,
      maxDuration: 'P1D',
      maxDurationMs: 86_400_000,
      approvals: 1,
      approvers: { groups: [GROUPS.securityTeam], users: [] },
      renewable: true,
      approvalChannel: 'teams',
    });
    expect(p.exemptions.principals.map((e) => e.id)).toEqual([PEOPLE.breakglass, PEOPLE.accessManager]);
    expect(p.exemptions.assignments.map((e) => e.name)).toEqual([DAVE_BASELINE_ASSIGNMENT_NAME]);
    expect(p.breaker).toEqual({ maxRevocations: 20, window: 'PT5M', windowMs: 300_000 });
    expect(p.pendingRequestTtlMs).toBe(86_400_000);
  });

  test('model-weights: two roles, justification required, 2 and 3 approvals', () => {
    const p = seed.byId('model-weights')!;
    expect(p).toMatchObject({ scope: RG.weights, mode: 'enforce', kind: 'rigid' });
    expect(findPolicyRole(p, BLOB_READER)).toMatchObject({ maxDuration: 'PT8H', approvals: 2, justification: { required: true }, approvers: { groups: [GROUPS.weightsApprovers] } });
    expect(findPolicyRole(p, BLOB_CONTRIBUTOR.toUpperCase())).toMatchObject({ maxDuration: 'PT2H', approvals: 3, justification: { required: true } });
    expect(exceptionTerms(p)).toBeUndefined();
  });

  test('research: flexible, exception terms = strictest + 1, half the longest max, security-team and weights-approvers', () => {
    const p = seed.byId('research')!;
    expect(p).toMatchObject({ scope: RG.research, mode: 'enforce', kind: 'flexible' });
    expect(findPolicyRole(p, KV_SECRETS_USER)).toMatchObject({ maxDuration: 'PT4H', approvals: 1, approvers: { groups: [GROUPS.securityTeam] } });
    expect(findPolicyRole(p, BLOB_CONTRIBUTOR)).toMatchObject({ maxDuration: 'P1D', approvals: 1, approvers: { groups: [GROUPS.weightsApprovers] } });
    expect(exceptionTerms(p)).toEqual({ approvals: 2, approvers: { groups: [GROUPS.securityTeam, GROUPS.weightsApprovers], users: [] }, maxDurationMs: 12 * 3_600_000, maxDuration: 'PT12H' });
  });

  test('sandbox: audit, PT1H with a PT1M minimum', () => {
    const p = seed.byId('sandbox')!;
    expect(p).toMatchObject({ scope: RG.sandbox, mode: 'audit', kind: 'rigid' });
    expect(p.roles[0]).toMatchObject({ roleName: 'Storage Blob Data Contributor', maxDuration: 'PT1H', minDuration: 'PT1M', minDurationMs: 60_000, approvals: 1 });
  });

  test('a loaded set is deeply frozen', () => {
    const p = seed.byId('model-weights')!;
    expect(Object.isFrozen(seed.policies)).toBe(true);
    expect(Object.isFrozen(p.roles[0]!.approvers.groups)).toBe(true);
    expect(() => {
      (p.roles[0] as { approvals: number }).approvals = 0;
    }).toThrow(TypeError);
  });

  test('allGovernedScopes lists the subscription first; governedSubscriptions the one subscription', () => {
    expect(seed.allGovernedScopes()).toEqual([SUBSCRIPTION_SCOPE, RG.research, RG.sandbox, RG.weights]);
    expect(seed.governedSubscriptions()).toEqual(['00000000-0000-0000-0000-000000000001']);
  });
});

describe('governing(scope)', () => {
  const sub = SUBSCRIPTION_SCOPE;
  test.each([
    [sub, 'subscription-baseline'],
    [RG.weights, 'model-weights'],
    [`${RG.weights}/providers/Microsoft.Storage/storageAccounts/stweights`, 'model-weights'],
    [`${RG.weights}/providers/Microsoft.Storage/storageAccounts/stweights/blobServices/default/containers/checkpoints`, 'model-weights'],
    [`${sub}/resourceGroups/rg-weights2`, 'subscription-baseline'],
    [`${sub}/resourceGroups/rg-weights2/providers/Microsoft.Storage/storageAccounts/x`, 'subscription-baseline'],
    [`${sub}/resourceGroups/rg-weight`, 'subscription-baseline'],
    [RG.weights.toUpperCase(), 'model-weights'],
    [`${sub}/RESOURCEGROUPS/RG-Research/`, 'research'],
    [`//subscriptions/00000000-0000-0000-0000-000000000001//resourceGroups/rg-sandbox`, 'sandbox'],
    [`${sub}/resourceGroups/rg-other`, 'subscription-baseline'],
  ])('%s -> %s', (scope, id) => {
    expect(seed.governing(scope)?.id).toBe(id);
  });

  test.each([['/subscriptions/00000000-0000-0000-0000-000000000002'], ['/subscriptions/00000000-0000-0000-0000-0000000000012'], ['/'], ['/providers/Microsoft.Management/managementGroups/root']])(
    '%s -> no policy',
    (scope) => {
      expect(seed.governing(scope)).toBeUndefined();
    },
  );

  test('governingChain is most specific first', () => {
    expect(seed.governingChain(`${RG.weights}/providers/Microsoft.Storage/storageAccounts/stweights`).map((p) => p.id)).toEqual(['model-weights', 'subscription-baseline']);
  });

  test('byId ignores case', () => {
    expect(seed.byId('MODEL-Weights')?.id).toBe('model-weights');
    expect(seed.byId('nope')).toBeUndefined();
  });
});

describe('exemptions', () => {
  test.each([
    [PEOPLE.breakglass, SUBSCRIPTION_SCOPE, true],
    [PEOPLE.breakglass, RG.weights, true],
    [PEOPLE.breakglass.toUpperCase(), `${RG.research}/providers/Microsoft.KeyVault/vaults/kv-research`, true],
    [PEOPLE.accessManager, RG.sandbox, true],
    [PEOPLE.dave, SUBSCRIPTION_SCOPE, false],
    [PEOPLE.mallory, RG.weights, false],
    [PEOPLE.breakglass, '/subscriptions/00000000-0000-0000-0000-000000000002', false],
  ])('principal %s at %s exempt: %s', (principal, scope, exempt) => {
    expect(seed.isExemptPrincipal(principal, scope)).toBe(exempt);
  });

  test('the exemption match names the policy and reason (for the audit record)', () => {
    const match = seed.principalExemption(PEOPLE.breakglass, RG.weights);
    expect(match?.policy.id).toBe('subscription-baseline');
    expect(match?.exemption.reason).toMatch(/break-glass/);
  });

  const daveId = roleAssignmentId(SUBSCRIPTION_SCOPE, DAVE_BASELINE_ASSIGNMENT_NAME);
  test.each([
    [DAVE_BASELINE_ASSIGNMENT_NAME, SUBSCRIPTION_SCOPE, true],
    [DAVE_BASELINE_ASSIGNMENT_NAME.toUpperCase(), SUBSCRIPTION_SCOPE.toUpperCase(), true],
    [daveId, SUBSCRIPTION_SCOPE, true],
    [daveId.toLowerCase(), SUBSCRIPTION_SCOPE, true],
    // The policy pins dave's exemption to the subscription scope: the same name elsewhere is not exempt.
    [DAVE_BASELINE_ASSIGNMENT_NAME, RG.weights, false],
    [roleAssignmentId(RG.weights, DAVE_BASELINE_ASSIGNMENT_NAME), RG.weights, false],
    [APP_ASSIGNMENT_NAME, SUBSCRIPTION_SCOPE, false],
  ])('assignment %s at %s exempt: %s', (nameOrId, scope, exempt) => {
    expect(seed.isExemptAssignment(nameOrId, scope)).toBe(exempt);
  });
});

const baseline = {
  id: 'base',
  description: 'baseline',
  scope: SUBSCRIPTION_SCOPE,
  mode: 'enforce',
  exemptions: {
    principals: [{ id: PEOPLE.breakglass, reason: 'break-glass' }],
    assignments: [{ name: DAVE_BASELINE_ASSIGNMENT_NAME, reason: 'by name only' }],
  },
};
const rg = (id: string, scope: string, extra: object = {}) => ({ id, description: id, scope, mode: 'audit', ...extra });

describe('PolicySet from sources', () => {
  test('exemptions of a narrower policy do not leak to siblings or parents; enclosing ones apply', () => {
    const set = PolicySet.fromSources([
      { file: 'base.yaml', data: baseline },
      { file: 'w.yaml', data: rg('w', RG.weights, { exemptions: { principals: [{ id: PEOPLE.carol, reason: 'ops' }] } }) },
    ]);
    expect(set.isExemptPrincipal(PEOPLE.carol, `${RG.weights}/providers/Microsoft.Storage/storageAccounts/stweights`)).toBe(true);
    expect(set.isExemptPrincipal(PEOPLE.carol, RG.research)).toBe(false);
    expect(set.isExemptPrincipal(PEOPLE.carol, SUBSCRIPTION_SCOPE)).toBe(false);
    expect(set.isExemptPrincipal(PEOPLE.breakglass, RG.weights)).toBe(true);
    // A name-only assignment exemption applies wherever the enclosing policy governs.
    expect(set.isExemptAssignment(DAVE_BASELINE_ASSIGNMENT_NAME, RG.weights)).toBe(true);
  });

  test('a policy below a resource group wins over the resource group policy', () => {
    const account = `${RG.weights}/providers/Microsoft.Storage/storageAccounts/stweights`;
    const set = PolicySet.fromSources([
      { file: 'a.yaml', data: rg('a', RG.weights) },
      { file: 'b.yaml', data: rg('b', account) },
    ]);
    expect(set.governing(`${account}/blobServices/default`)?.id).toBe('b');
    expect(set.governing(`${account}2`)?.id).toBe('a');
    expect(set.governing(SUBSCRIPTION_SCOPE)).toBeUndefined();
  });

  test('defaults: kind rigid, no roles, TTL PT24H, breaker 20 in PT5M, no exemptions', () => {
    const set = PolicySet.fromSources([{ file: 'min.yaml', text: `id: min\ndescription: minimal\nscope: ${SUBSCRIPTION_SCOPE}\nmode: audit\n` }]);
    expect(set.byId('min')).toMatchObject({
      kind: 'rigid',
      roles: [],
      pendingRequestTtl: 'P1D',
      pendingRequestTtlMs: 86_400_000,
      breaker: { maxRevocations: 20, window: 'PT5M', windowMs: 300_000 },
      exemptions: { principals: [], assignments: [] },
      source: 'min.yaml',
    });
  });
});

describe('management groups', () => {
  const MG = '/providers/Microsoft.Management/managementGroups/mg-research';
  const SUB = '00000000-0000-0000-0000-000000000001';
  const withGroup = () =>
    PolicySet.fromSources([
      { file: 'group.yaml', data: { id: 'group', description: 'The research group.', scope: MG, mode: 'audit', kind: 'rigid' } },
      { file: 'sub.yaml', data: { id: 'sub', description: 'The subscription.', scope: SUBSCRIPTION_SCOPE, mode: 'enforce', kind: 'rigid', roles: [{ role: 'Reader', maxDuration: 'PT1H', approvals: 1, approvers: { groups: [GROUPS.securityTeam] } }] } },
      { file: 'weights.yaml', data: { id: 'weights', description: 'The weights.', scope: RG.weights, mode: 'enforce', kind: 'rigid' } },
    ]).withManagementGroups(new Map([[MG, { subscriptions: [SUB], groups: [] }]]));

  test('a policy may govern a management group: it contains the subscriptions under it, the most specific still decides', () => {
    const set = withGroup();
    expect(set.contains(MG, RG.weights)).toBe(true);
    expect(set.contains(MG, '/subscriptions/00000000-0000-0000-0000-000000000099')).toBe(false);
    expect(set.governingChain(RG.weights).map((p) => p.id)).toEqual(['weights', 'sub', 'group']);
    expect(set.governing(MG)?.id).toBe('group');
    expect(set.allGovernedScopes()).toEqual([MG, SUBSCRIPTION_SCOPE, RG.weights]);
    expect(set.topScopes()).toEqual([MG]);
    expect(set.subscriptionsUnder(MG)).toEqual([SUB]);
    expect(set.governedSubscriptions()).toEqual([SUB]);
    expect(set.managementGroupScopes()).toEqual([MG]);
  });

  test('without its descendants known, a group policy governs only the group itself', () => {
    const set = PolicySet.fromSources([{ file: 'group.yaml', data: { id: 'group', description: 'The research group.', scope: MG, mode: 'audit', kind: 'rigid' } }]);
    expect(set.governing(MG)?.id).toBe('group');
    expect(set.governing(RG.weights)).toBeUndefined();
  });

  test('the default security contacts are the approvers of the broadest policy that names any', () => {
    expect(withGroup().broadestApprovers()).toEqual([GROUPS.securityTeam]);
    expect(seed.broadestApprovers()).toEqual([GROUPS.securityTeam]);
  });

  test('the fingerprint changes with what the policies decide, not with where the files are', () => {
    const a = withGroup().fingerprint();
    const moved = PolicySet.fromSources(withGroup().policies.map((p) => ({ file: `elsewhere/${p.id}.yaml`, data: { id: p.id, description: p.description, scope: p.scope, mode: p.mode, kind: p.kind, roles: p.roles.map((r) => ({ role: r.roleName, maxDuration: r.maxDuration, approvals: r.approvals, approvers: r.approvers })) } })));
    expect(moved.fingerprint()).toBe(a);
    expect(seed.fingerprint()).not.toBe(a);
    expect(seed.withStandingExemptions([{ id: PEOPLE.mallory, reason: 'test' }]).fingerprint()).not.toBe(seed.fingerprint());
  });
});
