/** buildAccessView against the seed policies (a real PolicySet): one row per way an assignment can be justified, or not. */
import { join } from 'node:path';
import { assignmentKey, assignmentsWithin, buildAccessView, accessScope, type AccessItem, type AccessPolicies, type CoverageLookup } from '../../shared/domain/access/accessView';
import type { LiveAssignment } from '../../shared/ports/roleAssignments';
import { roleAssignmentId, scopeKey } from '../../shared/domain/armIds';
import { ValidationError } from '../../shared/domain/errors';
import type { Grant } from '../../shared/domain/grants/grant';
import { type PolicySet } from '../../shared/domain/policy';
import { loadPolicies } from '../../shared/adapters/policyFiles';
import { APP_ASSIGNMENT_NAME, BREAKGLASS_ASSIGNMENT_NAME, DAVE_BASELINE_ASSIGNMENT_NAME, LOCAL_SUBSCRIPTION_ID, PEOPLE, RG, SUBSCRIPTION_SCOPE } from '../../dev/tenant';

const NOW = new Date('2026-11-20T12:00:00Z');
const HOUR = 3_600_000;
const at = (offsetMs: number): string => new Date(NOW.getTime() + offsetMs).toISOString();
const roleId = (guid: string): string => `${SUBSCRIPTION_SCOPE}/providers/Microsoft.Authorization/roleDefinitions/${guid}`;

const OWNER = roleId('8e3af657-a8ff-443c-a75c-2fe8c4bcb635');
const UAA = roleId('18d7d88d-d35e-4fb5-a5c3-7773c20a72d9');
const BLOB_READER = roleId('2a2b9908-6ea1-4ae2-8e65-a410df84e7d1');
const BLOB_CONTRIBUTOR = roleId('ba92f5b4-2d11-453d-a403-e96b0029c9fe');
const CUSTOM_ROLE = roleId('11111111-2222-4333-8444-555555555555');

const guid = (n: number): string => `00000000-0000-4000-8000-${n.toString(16).padStart(12, '0')}`;

function assignment(name: string, scope: string, principalId: string, roleDefinitionId: string): LiveAssignment {
  return { id: roleAssignmentId(scope, name), name, scope, principalId, principalType: 'User', roleDefinitionId };
}

function grant(id: string, a: LiveAssignment, overrides: Partial<Grant> = {}): Grant {
  return {
    id,
    type: 'grant',
    requestId: `req-${id}`,
    requestIds: [`req-${id}`],
    principalId: a.principalId,
    roleDefinitionId: a.roleDefinitionId,
    roleName: 'Storage Blob Data Reader',
    scope: a.scope,
    scopeKey: scopeKey(a.scope),
    policyId: 'model-weights',
    assignmentId: a.id,
    startsAt: at(-HOUR),
    expiresAt: at(7 * HOUR),
    status: 'active',
    requester: { id: a.principalId, name: 'alice@contoso.test' },
    approvers: [
      { id: PEOPLE.bob, name: 'bob@contoso.test', at: at(-HOUR - 60_000) },
      { id: PEOPLE.carol, name: 'carol@contoso.test', at: at(-HOUR) },
    ],
    ...overrides,
  };
}

const aliceRead = assignment(guid(1), RG.weights, PEOPLE.alice, BLOB_READER);
const malloryRead = assignment(guid(2), RG.weights, PEOPLE.mallory, BLOB_READER);
const mallorySandbox = assignment(guid(3), RG.sandbox, PEOPLE.mallory, BLOB_CONTRIBUTOR);
const bobExpired = assignment(guid(4), RG.weights, PEOPLE.bob, BLOB_READER);
const carolEndedGrant = assignment(guid(5), RG.weights, PEOPLE.carol, BLOB_READER);
const daveBaseline = assignment(DAVE_BASELINE_ASSIGNMENT_NAME, SUBSCRIPTION_SCOPE, PEOPLE.dave, OWNER);
const breakglass = assignment(BREAKGLASS_ASSIGNMENT_NAME, SUBSCRIPTION_SCOPE, PEOPLE.breakglass, OWNER);
const ownIdentity = { ...assignment(APP_ASSIGNMENT_NAME, SUBSCRIPTION_SCOPE, PEOPLE.accessManager, UAA), principalType: 'ServicePrincipal' };
const elsewhere = assignment(guid(6), '/subscriptions/99999999-0000-0000-0000-000000000009/resourceGroups/rg-other', PEOPLE.mallory, OWNER);
const daveCustom = assignment(guid(7), RG.research, PEOPLE.dave, CUSTOM_ROLE);
const aliceEntryOnly = assignment(guid(8), RG.research, PEOPLE.alice, BLOB_CONTRIBUTOR);

const coverage = new Map<string, CoverageLookup>([
  [assignmentKey(aliceRead.id), { entries: [{ grantId: guid(1), expiresAt: at(7 * HOUR) }], grants: [grant(guid(1), aliceRead)] }],
  [assignmentKey(bobExpired.id), { entries: [{ grantId: guid(4), expiresAt: at(-60_000) }], grants: [grant(guid(4), bobExpired, { expiresAt: at(-60_000) })] }],
  // Revoked a moment ago: the grant is marked ended, its coverage entry not yet removed.
  [assignmentKey(carolEndedGrant.id), { entries: [{ grantId: guid(5), expiresAt: at(HOUR) }], grants: [grant(guid(5), carolEndedGrant, { status: 'revoked', endReason: 'revoked' })] }],
  // Fulfilment in progress: the entry exists, the grant document does not yet.
  [assignmentKey(aliceEntryOnly.id), { entries: [{ grantId: guid(8), expiresAt: at(2 * HOUR) }], grants: [] }],
]);

let policies: PolicySet;
let view: Map<string, AccessItem>;
const names = new Map([[PEOPLE.alice, 'alice@contoso.test']]);

beforeAll(async () => {
  policies = await loadPolicies(join(__dirname, '..', '..', 'policies'));
  const items = buildAccessView(
    [aliceRead, malloryRead, mallorySandbox, bobExpired, carolEndedGrant, daveBaseline, breakglass, ownIdentity, elsewhere, daveCustom, aliceEntryOnly],
    coverage,
    policies,
    PEOPLE.accessManager,
    NOW,
    names,
  );
  view = new Map(items.map((i) => [i.assignmentId, i]));
});

describe('buildAccessView', () => {
  test('an approved, unexpired grant: granted, with request, approvers, start and expiry', () => {
    const item = view.get(aliceRead.id)!;
    expect(item).toMatchObject({
      status: 'granted',
      principalName: 'alice@contoso.test',
      roleName: 'Storage Blob Data Reader',
      policyId: 'model-weights',
      mode: 'enforce',
      grant: {
        grantId: guid(1),
        requestId: `req-${guid(1)}`,
        startsAt: at(-HOUR),
        expiresAt: at(7 * HOUR),
        approvers: [
          { id: PEOPLE.bob, name: 'bob@contoso.test', at: at(-HOUR - 60_000) },
          { id: PEOPLE.carol, name: 'carol@contoso.test', at: at(-HOUR) },
        ],
      },
    });
    expect(item.exemption).toBeUndefined();
  });

  test('an exempt principal (break-glass): exempt by principal, naming the declaring policy', () => {
    expect(view.get(breakglass.id)).toMatchObject({ status: 'exempt', exemption: { kind: 'principal', policyId: 'subscription-baseline', reason: expect.stringMatching(/break-glass/i) } });
  });

  test("dave's declared baseline assignment: exempt by assignment", () => {
    expect(view.get(daveBaseline.id)).toMatchObject({ status: 'exempt', roleName: 'Owner', exemption: { kind: 'assignment', policyId: 'subscription-baseline', reason: expect.stringContaining('baseline') } });
  });

  test("AccessManager's own identity: exempt as itself, with its display name", () => {
    expect(view.get(ownIdentity.id)).toMatchObject({ status: 'exempt', principalName: 'AccessManager', roleName: 'User Access Administrator', exemption: { kind: 'self', policyId: 'subscription-baseline' } });
  });

  test('own identity is exempt even where no policy declares it, so the app never shows itself as unapproved', () => {
    const noDeclaredExemptions: AccessPolicies = { governing: (s) => policies.governing(s), principalExemption: () => undefined, assignmentExemption: () => undefined };
    const [item] = buildAccessView([ownIdentity], new Map(), noDeclaredExemptions, PEOPLE.accessManager.toUpperCase(), NOW);
    expect(item).toMatchObject({ status: 'exempt', exemption: { kind: 'self', policyId: 'subscription-baseline', reason: expect.stringContaining("AccessManager's own identity") } });
  });

  test('nobody approved it under an enforce policy: unapproved, with policy and mode', () => {
    expect(view.get(malloryRead.id)).toMatchObject({ status: 'unapproved', policyId: 'model-weights', mode: 'enforce', reason: expect.stringContaining('no approved grant') });
  });

  test('nobody approved it under an audit-mode policy: still unapproved, mode audit', () => {
    expect(view.get(mallorySandbox.id)).toMatchObject({ status: 'unapproved', policyId: 'sandbox', mode: 'audit' });
  });

  test('a custom role nobody approved, under the research policy: unapproved, labelled by its GUID', () => {
    expect(view.get(daveCustom.id)).toMatchObject({ status: 'unapproved', policyId: 'research', roleName: 'role 11111111-2222-4333-8444-555555555555' });
  });

  test('outside every policy: ungoverned', () => {
    const item = view.get(elsewhere.id)!;
    expect(item.status).toBe('ungoverned');
    expect(item.policyId).toBeUndefined();
    expect(item.mode).toBeUndefined();
  });

  test('a coverage entry past its expiry: unapproved, the reason names the expired grant', () => {
    const item = view.get(bobExpired.id)!;
    expect(item).toMatchObject({ status: 'unapproved', policyId: 'model-weights', mode: 'enforce' });
    expect(item.reason).toContain(`grant ${guid(4)}`);
    expect(item.reason).toContain('expired');
    expect(item.grant).toBeUndefined();
  });

  test('a grant already ended whose coverage entry is still there: unapproved', () => {
    expect(view.get(carolEndedGrant.id)!.status).toBe('unapproved');
  });

  test('an in-force coverage entry whose grant document is still being written: granted, as the enforcer sees it', () => {
    expect(view.get(aliceEntryOnly.id)).toMatchObject({ status: 'granted', grant: { grantId: guid(8), expiresAt: at(2 * HOUR), approvers: [] } });
    expect(view.get(aliceEntryOnly.id)!.grant!.requestId).toBeUndefined();
  });

  test('sorted broadest scope first, then scope, role and principal', () => {
    const items = [...view.values()];
    const scopes = items.map((i) => i.scope);
    expect(scopes.slice(0, 3)).toEqual([SUBSCRIPTION_SCOPE, SUBSCRIPTION_SCOPE, SUBSCRIPTION_SCOPE]);
    const again = buildAccessView([...items].reverse().map((i) => ({ id: i.assignmentId, name: i.assignmentId.split('/').pop()!, scope: i.scope, principalId: i.principalId, roleDefinitionId: i.roleDefinitionId })), coverage, policies, PEOPLE.accessManager, NOW, names);
    expect(again.map((i) => i.assignmentId)).toEqual(items.map((i) => i.assignmentId));
  });
});

describe('assignmentsWithin', () => {
  const weights2 = assignment(guid(9), `${SUBSCRIPTION_SCOPE}/resourceGroups/rg-weights2`, PEOPLE.mallory, OWNER);
  const mg = assignment(guid(10), '/providers/Microsoft.Management/managementGroups/mg-research', PEOPLE.dave, OWNER);

  test('keeps the scope and what lies under it, segment-safe, dropping what ARM lists above', () => {
    const kept = assignmentsWithin([daveBaseline, aliceRead, weights2, mg, malloryRead], RG.weights);
    expect(kept.map((a) => a.id)).toEqual([aliceRead.id, malloryRead.id]);
  });

  test('each assignment once, whatever case a page used', () => {
    const shouting = { ...aliceRead, id: aliceRead.id.toUpperCase(), scope: aliceRead.scope.toUpperCase() };
    expect(assignmentsWithin([aliceRead, shouting], SUBSCRIPTION_SCOPE)).toHaveLength(1);
  });
});

describe('accessScope', () => {
  test('defaults to the governed subscription', () => {
    expect(accessScope(undefined, LOCAL_SUBSCRIPTION_ID)).toBe(SUBSCRIPTION_SCOPE);
    expect(accessScope('  ', LOCAL_SUBSCRIPTION_ID)).toBe(SUBSCRIPTION_SCOPE);
  });

  test('normalizes a scope and refuses what is not one', () => {
    expect(accessScope(`${RG.weights}/`, LOCAL_SUBSCRIPTION_ID)).toBe(RG.weights);
    expect(() => accessScope('rg-weights', LOCAL_SUBSCRIPTION_ID)).toThrow(ValidationError);
    expect(() => accessScope('/', LOCAL_SUBSCRIPTION_ID)).toThrow(ValidationError);
  });
});
