/** decideAssignment, applyBreakerOutcome and decideDeletedAssignment: one table row per rule. */
import { roleAssignmentId } from '../../shared/domain/armIds';
import {
  applyBreakerOutcome,
  decideAssignment,
  decideDeletedAssignment,
  goneDecision,
  needsCoverage,
  roleLabel,
  type AssignmentDecisionInput,
  type AssignmentView,
  type BackingGrantView,
  type Decision,
  type PolicyView,
} from '../../shared/domain/enforcement/decide';
import { PEOPLE, RG, SUBSCRIPTION_SCOPE } from '../../dev/tenant';

const NOW = new Date('2026-11-20T12:00:00Z');
const HOUR = 3_600_000;
const at = (offsetMs: number): string => new Date(NOW.getTime() + offsetMs).toISOString();

const BLOB_READER = '2a2b9908-6ea1-4ae2-8e65-a410df84e7d1';
const BLOB_READER_ID = `/subscriptions/00000000-0000-0000-0000-000000000001/providers/Microsoft.Authorization/roleDefinitions/${BLOB_READER}`;
const NAME = '5f0d7a3e-2c11-4b8e-9a57-0c6f3e9b1d24';

const modelWeights: PolicyView = { id: 'model-weights', mode: 'enforce', scope: RG.weights };
const sandbox: PolicyView = { id: 'sandbox', mode: 'audit', scope: RG.sandbox };

const mallorysRead: AssignmentView = {
  id: roleAssignmentId(RG.weights, NAME),
  name: NAME,
  scope: RG.weights,
  principalId: PEOPLE.mallory,
  principalType: 'User',
  roleDefinitionId: BLOB_READER_ID,
};

function input(overrides: Partial<AssignmentDecisionInput> = {}): AssignmentDecisionInput {
  return {
    assignment: mallorysRead,
    coverage: [],
    isOwnGrantAssignment: false,
    exemption: undefined,
    policy: modelWeights,
    appPrincipalId: PEOPLE.accessManager,
    now: NOW,
    ...overrides,
  };
}

const activeGrant = { grantId: 'g-active', expiresAt: at(2 * HOUR), status: 'active' };
const expiredGrant = { grantId: 'g-expired', expiresAt: at(-HOUR), status: 'active' };
const violation = `no approved grant covers Storage Blob Data Reader for user ${PEOPLE.mallory} at ${RG.weights}`;

describe('decideAssignment', () => {
  test('an assignment already gone in ARM needs nothing', () => {
    expect(goneDecision()).toEqual({ action: 'none', reason: 'gone', detail: expect.stringMatching(/no longer exists/) });
  });

  // `breakerTripped`: the decision then goes through the breaker as the enforcer does (applyBreakerOutcome with a refusal).
  test.each<[string, Partial<AssignmentDecisionInput> & { breakerTripped?: boolean }, Decision]>([

    // Exemptions first, whatever the policy says.
    [
      "AccessManager's own identity, even unexplained, in enforce mode with the breaker tripped",
      { assignment: { ...mallorysRead, principalId: PEOPLE.accessManager.toUpperCase() }, breakerTripped: true },
      { action: 'exempt', exemptionKind: 'self', policyId: 'model-weights', reason: expect.stringMatching(/^Storage Blob Data Reader of AccessManager's own identity/) },
    ],
    [
      "AccessManager's own identity outside every policy",
      { assignment: { ...mallorysRead, principalId: PEOPLE.accessManager }, policy: undefined },
      { action: 'exempt', exemptionKind: 'self', reason: expect.any(String) },
    ],
    [
      'an exempt principal (break-glass)',
      { assignment: { ...mallorysRead, principalId: PEOPLE.breakglass }, exemption: { kind: 'principal', reason: 'Emergency account' } },
      { action: 'exempt', exemptionKind: 'principal', policyId: 'model-weights', reason: `user ${PEOPLE.breakglass} is exempt: Emergency account` },
    ],
    [
      'an exempt assignment (declared baseline), even in enforce mode with an expired grant',
      { exemption: { kind: 'assignment', reason: 'baseline' }, coverage: [expiredGrant] },
      { action: 'exempt', exemptionKind: 'assignment', policyId: 'model-weights', reason: `assignment ${NAME} is exempt: baseline` },
    ],

    // Grants.
    ['an active, unexpired grant', { coverage: [activeGrant] }, { action: 'allow', reason: 'grant', grantId: 'g-active', expiresAt: activeGrant.expiresAt, detail: expect.stringMatching(/^grant g-active covers Storage Blob Data Reader/) }],
    [
      'a grant whose triple differs only in letter case and role id form',
      { coverage: [{ ...activeGrant, principalId: PEOPLE.mallory.toUpperCase(), roleDefinitionId: BLOB_READER.toUpperCase(), scope: RG.weights.toUpperCase() + '/' }] },
      expect.objectContaining({ action: 'allow', grantId: 'g-active' }),
    ],
    [
      'a coverage entry without status (coverage documents list only grants in force)',
      { coverage: [{ grantId: 'g-entry', expiresAt: at(HOUR) }] },
      expect.objectContaining({ action: 'allow', grantId: 'g-entry' }),
    ],
    [
      'two grants for the same triple: the active one allows, the longest-lasting is named',
      { coverage: [expiredGrant, activeGrant, { ...activeGrant, grantId: 'g-longer', expiresAt: at(5 * HOUR) }] },
      expect.objectContaining({ action: 'allow', grantId: 'g-longer' }),
    ],
    [
      'an expired grant does not cover',
      { coverage: [expiredGrant] },
      expect.objectContaining({
        action: 'revoke',
        reason: `grant g-expired for Storage Blob Data Reader for user ${PEOPLE.mallory} at ${RG.weights} expired at ${expiredGrant.expiresAt} and no other approved grant covers it (policy model-weights)`,
      }),
    ],
    ['a grant expiring exactly now does not cover', { coverage: [{ ...activeGrant, expiresAt: NOW.toISOString() }] }, expect.objectContaining({ action: 'revoke' })],
    ['a revoked grant does not cover', { coverage: [{ ...activeGrant, status: 'revoked' }] }, expect.objectContaining({ action: 'revoke', reason: `${violation} (policy model-weights)` })],
    ['a grant with an unreadable expiry does not cover', { coverage: [{ ...activeGrant, expiresAt: 'soon' }] }, expect.objectContaining({ action: 'revoke' })],
    ['a grant that starts later does not cover yet', { coverage: [{ ...activeGrant, startsAt: at(HOUR) }] }, expect.objectContaining({ action: 'revoke' })],
    ['a grant for another principal does not cover', { coverage: [{ ...activeGrant, principalId: PEOPLE.alice }] }, expect.objectContaining({ action: 'revoke' })],
    [
      'a grant for another role does not cover',
      { coverage: [{ ...activeGrant, roleDefinitionId: 'ba92f5b4-2d11-453d-a403-e96b0029c9fe' }] },
      expect.objectContaining({ action: 'revoke' }),
    ],
    ['a grant at the parent scope does not cover (exact scope only)', { coverage: [{ ...activeGrant, scope: SUBSCRIPTION_SCOPE }] }, expect.objectContaining({ action: 'revoke' })],
    [
      'a grant at a child scope does not cover',
      { coverage: [{ ...activeGrant, scope: `${RG.weights}/providers/Microsoft.Storage/storageAccounts/stweights` }] },
      expect.objectContaining({ action: 'revoke' }),
    ],

    // Governance.
    ['no policy governs the scope', { policy: undefined }, { action: 'none', reason: 'notGoverned', detail: expect.stringMatching(/never revokes outside/) }],
    [
      'the policy handed in does not contain the scope (rg-weights2 is not under rg-weights)',
      { assignment: { ...mallorysRead, scope: `${RG.weights}2`, id: roleAssignmentId(`${RG.weights}2`, NAME) } },
      expect.objectContaining({ action: 'none', reason: 'notGoverned' }),
    ],
    [
      'an assignment above the policy scope is not governed by it',
      { assignment: { ...mallorysRead, scope: SUBSCRIPTION_SCOPE, id: roleAssignmentId(SUBSCRIPTION_SCOPE, NAME) } },
      expect.objectContaining({ action: 'none', reason: 'notGoverned' }),
    ],

    // Modes and the breaker.
    [
      'audit mode records what it would revoke',
      { policy: { ...sandbox, scope: RG.weights } },
      { action: 'wouldRevoke', mode: 'audit', policyId: 'sandbox', violation, reason: `${violation} (policy sandbox is audit-only: recorded, not revoked)` },
    ],
    [
      'audit mode with the breaker tripped is plain audit (no breaker flag)',
      { policy: { ...sandbox, scope: RG.weights }, breakerTripped: true },
      { action: 'wouldRevoke', mode: 'audit', policyId: 'sandbox', violation, reason: `${violation} (policy sandbox is audit-only: recorded, not revoked)` },
    ],
    [
      'an unknown mode is treated as audit, never as enforce',
      { policy: { ...modelWeights, mode: 'Enforce' as 'enforce' } },
      expect.objectContaining({ action: 'wouldRevoke', mode: 'audit' }),
    ],
    [
      'enforce mode with the breaker tripped only records',
      { breakerTripped: true },
      { action: 'wouldRevoke', mode: 'audit', policyId: 'model-weights', breaker: true, violation, reason: expect.stringMatching(/blast-radius breaker has tripped/) },
    ],
    ['enforce mode revokes', {}, { action: 'revoke', mode: 'enforce', policyId: 'model-weights', violation, reason: `${violation} (policy model-weights)` }],
    [
      "AccessManager's own grant assignment whose grant ended is revoked, and says so",
      { isOwnGrantAssignment: true, coverage: [expiredGrant] },
      expect.objectContaining({ action: 'revoke', reason: expect.stringMatching(/^AccessManager created this assignment for a grant, but grant g-expired .* expired at/) }),
    ],
    ['an empty app principal id exempts no one', { appPrincipalId: '', assignment: { ...mallorysRead, principalId: '' } }, expect.objectContaining({ action: 'revoke' })],
  ])('%s', (_label, { breakerTripped, ...overrides }, expected) => {
    const decision = decideAssignment(input(overrides));
    expect(breakerTripped ? applyBreakerOutcome(decision, { allowed: false }) : decision).toEqual(expected);
  });

  test.each<[string, Partial<AssignmentDecisionInput>, boolean]>([
    ['a governed, unexempt assignment', {}, true],
    ["AccessManager's own identity", { assignment: { ...mallorysRead, principalId: PEOPLE.accessManager.toUpperCase() } }, false],
    ['an exempt assignment', { exemption: { kind: 'principal', reason: 'break-glass' } }, false],
    ['a scope no policy governs', { policy: undefined }, false],
  ])('needsCoverage: %s -> %s', (_label, overrides, expected) => {
    expect(needsCoverage(input(overrides))).toBe(expected);
  });

  test('a role no built-in table knows is named by its GUID; a principal without type is "principal"', () => {
    const custom = '11111111-2222-4333-8444-555555555555';
    const decision = decideAssignment(input({ assignment: { ...mallorysRead, roleDefinitionId: `/providers/Microsoft.Authorization/roleDefinitions/${custom}`, principalType: undefined } }));
    expect(decision).toMatchObject({ action: 'revoke', violation: `no approved grant covers role ${custom} for principal ${PEOPLE.mallory} at ${RG.weights}` });
    expect(roleLabel('Owner')).toBe('Owner');
  });

  test('the input is not modified', () => {
    const frozen = Object.freeze(input({ coverage: Object.freeze([Object.freeze(expiredGrant)]) }));
    expect(() => decideAssignment(frozen)).not.toThrow();
  });
});

describe('applyBreakerOutcome', () => {
  const revoke = decideAssignment(input());
  test('a revoke the breaker refused becomes wouldRevoke (breaker)', () => {
    expect(applyBreakerOutcome(revoke, { allowed: false })).toEqual({
      action: 'wouldRevoke',
      mode: 'audit',
      breaker: true,
      policyId: 'model-weights',
      violation,
      reason: expect.stringMatching(/blast-radius breaker/),
    });
  });
  test('an allowed revoke stays a revoke', () => {
    expect(applyBreakerOutcome(revoke, { allowed: true })).toBe(revoke);
  });
  test.each([input({ policy: undefined }), input({ coverage: [activeGrant] }), input({ policy: { ...sandbox, scope: RG.weights } })])('other decisions pass unchanged', (i) => {
    const decision = decideAssignment(i);
    expect(applyBreakerOutcome(decision, { allowed: false })).toBe(decision);
  });
});

describe('decideDeletedAssignment', () => {
  const assignmentId = roleAssignmentId(RG.weights, NAME);
  const backing = (overrides: Partial<BackingGrantView> = {}): BackingGrantView => ({ id: 'g1', assignmentId, status: 'active', expiresAt: at(HOUR), ...overrides });

  test.each<[string, { grants: BackingGrantView[]; deletedByApp: boolean }, ReturnType<typeof decideDeletedAssignment>]>([
    [
      'deleted outside AccessManager: the active grant ends',
      { grants: [backing()], deletedByApp: false },
      { action: 'endGrants', grantIds: ['g1'], reason: `role assignment ${assignmentId} was deleted outside AccessManager, so the access it carried has ended` },
    ],
    ['every active grant it backed ends', { grants: [backing(), backing({ id: 'g2', assignmentId: assignmentId.toUpperCase() })], deletedByApp: false }, expect.objectContaining({ grantIds: ['g1', 'g2'] })],
    ['our own delete changes nothing', { grants: [backing()], deletedByApp: true }, { action: 'none', reason: expect.stringMatching(/AccessManager deleted this assignment itself/) }],
    ['no grant behind it', { grants: [], deletedByApp: false }, { action: 'none', reason: `no active grant is backed by ${assignmentId}` }],
    ['a grant already revoked or expired', { grants: [backing({ status: 'revoked' }), backing({ id: 'g2', status: 'expired' })], deletedByApp: false }, expect.objectContaining({ action: 'none' })],
    ['a grant past its expiry is left to the expiry timer', { grants: [backing({ expiresAt: at(-1) })], deletedByApp: false }, expect.objectContaining({ action: 'none' })],
    [
      'a grant backed by another assignment is not touched',
      { grants: [backing({ assignmentId: roleAssignmentId(RG.weights, '00000000-0000-4000-8000-00000000abcd') }), backing({ id: 'g2' })], deletedByApp: false },
      expect.objectContaining({ action: 'endGrants', grantIds: ['g2'] }),
    ],
  ])('%s', (_label, { grants, deletedByApp }, expected) => {
    expect(decideDeletedAssignment({ assignmentId, grantsBackedByIt: grants, deletedByApp, now: NOW })).toEqual(expected);
  });
});
