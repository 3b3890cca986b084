import { join } from 'node:path';
import fc from 'fast-check';
import { AppError } from '../../shared/domain/errors';
import { PolicySet } from '../../shared/domain/policy';
import { loadPolicies } from '../../shared/adapters/policyFiles';
import { GROUPS, PEOPLE, RG, SUBSCRIPTION_SCOPE } from '../../dev/tenant';
import {
  approvalsNeeded,
  distinctApprovers,
  decisionProblem,
  evaluateApproval,
  evaluateCancel,
  evaluateNewRequest,
  grantWindow,
  renewalExtension,
  scopeLabel,
  timeoutIfExpired,
  type AccessRequest,
  type NewRequestCommand,
  type NewRequestResult,
  type RenewableGrant,
} from '../../shared/domain/requests/rules';

const NOW = new Date('2025-03-01T10:00:00.000Z');
const H = 3_600_000;
const at = (offsetMs: number): Date => new Date(NOW.getTime() + offsetMs);
const ALICE = { id: PEOPLE.alice, name: 'alice@contoso.test' };
const BLOB_READER = '2a2b9908-6ea1-4ae2-8e65-a410df84e7d1';
const BLOB_CONTRIBUTOR = 'ba92f5b4-2d11-453d-a403-e96b0029c9fe';
const roleDefId = (guid: string): string => `/subscriptions/00000000-0000-0000-0000-000000000001/providers/Microsoft.Authorization/roleDefinitions/${guid}`;

let seed: PolicySet;
beforeAll(async () => {
  seed = await loadPolicies(join(__dirname, '../../policies'));
});

function request(overrides: Partial<NewRequestCommand> = {}): NewRequestCommand {
  return { scope: RG.weights, role: 'Storage Blob Data Reader', duration: 'PT8H', justification: 'evaluate checkpoint 42', requester: ALICE, ...overrides };
}

function expectError(result: { ok: boolean; error?: AppError }, status: number, code: string, message?: RegExp | string): AppError {
  expect(result.ok).toBe(false);
  const error = (result as { error: AppError }).error;
  expect(error).toBeInstanceOf(AppError);
  expect({ status: error.status, code: error.code }).toEqual({ status, code });
  if (typeof message === 'string') expect(error.message).toContain(message);
  else if (message) expect(error.message).toMatch(message);
  return error;
}

function draftOf(result: NewRequestResult) {
  if (!result.ok) throw new Error(`expected a draft, got ${result.error.code}: ${result.error.message}`);
  return result.draft;
}

/** A pending request as the store would hold it. */
function pending(overrides: Partial<AccessRequest> = {}): AccessRequest {
  return { id: 'req-1', ...draftOf(evaluateNewRequest(request(), seed, NOW)), ...overrides };
}

describe('evaluateNewRequest: allowed requests', () => {
  test('a listed role within limits drafts a pending request with the policy terms', () => {
    expect(draftOf(evaluateNewRequest(request(), seed, NOW))).toEqual({
      requester: ALICE,
      principalId: PEOPLE.alice,
      scope: RG.weights,
      roleDefinitionId: roleDefId(BLOB_READER),
      roleName: 'Storage Blob Data Reader',
      duration: 'PT8H',
      durationMs: 8 * H,
      justification: 'evaluate checkpoint 42',
      policyId: 'model-weights',
      status: 'pending',
      approvals: [],
      requiredApprovals: 2,
      approverGroups: [GROUPS.weightsApprovers],
      approverUsers: [],
      exception: false,
      createdAt: '2025-03-01T10:00:00.000Z',
      expiresAt: '2025-03-02T10:00:00.000Z',
      approvalChannel: 'teams',
      maxDurationMs: 8 * H,
    });
  });

  test.each([
    ['display name, other case', 'storage blob data reader'],
    ['GUID', BLOB_READER],
    ['GUID upper case', BLOB_READER.toUpperCase()],
    ['full id', roleDefId(BLOB_READER)],
    ['full id at another scope', `${RG.weights}/providers/Microsoft.Authorization/roleDefinitions/${BLOB_READER}`],
  ])('the role may be named by %s', (_form, role) => {
    const draft = draftOf(evaluateNewRequest(request({ role }), seed, NOW));
    expect(draft.roleName).toBe('Storage Blob Data Reader');
    expect(draft.roleDefinitionId).toBe(roleDefId(BLOB_READER));
  });

  test.each([
    ['a storage account in rg-weights', `${RG.weights}/providers/Microsoft.Storage/storageAccounts/stweights`, 'model-weights', 2],
    ['rg-weights in upper case', RG.weights.toUpperCase(), 'model-weights', 2],
    ['rg-weights2 (not rg-weights)', `${SUBSCRIPTION_SCOPE}/resourceGroups/rg-weights2`, 'subscription-baseline', 1],
  ])('the governing policy decides at %s', (_what, scope, policyId, approvals) => {
    const role = policyId === 'subscription-baseline' ? 'Reader' : 'Storage Blob Data Reader';
    const draft = draftOf(evaluateNewRequest(request({ scope, role, duration: 'PT1H' }), seed, NOW));
    expect(draft).toMatchObject({ policyId, requiredApprovals: approvals });
  });

  test('the duration is stored canonically and the scope normalized', () => {
    const draft = draftOf(evaluateNewRequest(request({ duration: 'pt90m', scope: `${RG.weights}/` }), seed, NOW));
    expect(draft).toMatchObject({ duration: 'PT1H30M', durationMs: 1.5 * H, scope: RG.weights });
  });

  test('a request on behalf of another principal records both', () => {
    const draft = draftOf(evaluateNewRequest(request({ principalId: PEOPLE.mallory }), seed, NOW));
    expect(draft).toMatchObject({ requester: ALICE, principalId: PEOPLE.mallory });
  });

  test('sandbox accepts its minimum', () => {
    const draft = draftOf(evaluateNewRequest(request({ scope: RG.sandbox, role: 'Storage Blob Data Contributor', duration: 'PT1M', justification: '' }), seed, NOW));
    expect(draft).toMatchObject({ policyId: 'sandbox', requiredApprovals: 1, justification: '' });
  });
});

describe('evaluateNewRequest: exceptions under a flexible policy (research)', () => {
  test('an unlisted role becomes an exception: strictest + 1 approvals from the exception approvers, capped at PT12H', () => {
    const draft = draftOf(evaluateNewRequest(request({ scope: RG.research, role: 'Key Vault Secrets Officer', duration: 'PT12H' }), seed, NOW));
    expect(draft).toMatchObject({
      policyId: 'research',
      exception: true,
      requiredApprovals: 2,
      approverGroups: [GROUPS.securityTeam, GROUPS.weightsApprovers],
      approverUsers: [],
      roleName: 'Key Vault Secrets Officer',
      maxDurationMs: 12 * H,
    });
  });

  test('a listed role beyond its maximum but within the exception cap becomes an exception', () => {
    const draft = draftOf(evaluateNewRequest(request({ scope: RG.research, role: 'Key Vault Secrets User', duration: 'PT6H' }), seed, NOW));
    expect(draft).toMatchObject({ exception: true, requiredApprovals: 2, approverGroups: [GROUPS.securityTeam, GROUPS.weightsApprovers], roleName: 'Key Vault Secrets User' });
  });

  test('a listed role within its maximum is a normal request', () => {
    const draft = draftOf(evaluateNewRequest(request({ scope: RG.research, role: 'Key Vault Secrets User', duration: 'PT4H', justification: '' }), seed, NOW));
    expect(draft).toMatchObject({ exception: false, requiredApprovals: 1, approverGroups: [GROUPS.securityTeam] });
  });
});

describe('evaluateNewRequest: refusals', () => {
  test.each<[string, Partial<NewRequestCommand>, number, string, RegExp | string]>([
    ['no policy', { scope: '/subscriptions/00000000-0000-0000-0000-000000000002/resourceGroups/rg' }, 403, 'NoPolicy', 'no policy governs /subscriptions/00000000-0000-0000-0000-000000000002/resourceGroups/rg'],
    ['unknown role', { role: 'Storage Blob Reader' }, 400, 'UnknownRole', /Unknown role "Storage Blob Reader".*display name.*GUID.*full role definition id/],
    ['unknown role GUID', { role: '11111111-1111-1111-1111-111111111111' }, 400, 'UnknownRole', /Unknown role/],
    [
      'rigid: role not listed',
      { role: 'Owner' },
      403,
      'RoleNotRequestable',
      'Owner cannot be requested on rg-weights (policy model-weights). Requestable roles: Storage Blob Data Reader (max PT8H), Storage Blob Data Contributor (max PT2H).',
    ],
    ['rigid at the subscription', { scope: `${SUBSCRIPTION_SCOPE}/resourceGroups/rg-weights2`, role: 'Storage Blob Data Reader' }, 403, 'RoleNotRequestable', /Requestable roles: Reader \(max P1D\)/],
    ['over the maximum', { duration: 'PT9H' }, 400, 'DurationTooLong', 'PT9H exceeds the maximum PT8H for Storage Blob Data Reader on rg-weights'],
    ['over a shorter maximum', { role: 'Storage Blob Data Contributor', duration: 'PT3H' }, 400, 'DurationTooLong', /PT3H exceeds the maximum PT2H.*ask for PT2H or less\.$/],
    ['under one minute (the shortest grant anywhere)', { scope: RG.sandbox, role: 'Storage Blob Data Contributor', duration: 'PT30S' }, 400, 'DurationTooShort', '"PT30S" is shorter than one minute'],
    // Finding 9 of issue 10: PT0.0006S used to make a 1 ms grant.
    ['a fraction of a second', { duration: 'PT0.0006S' }, 400, 'DurationTooShort', /shorter than one minute/],
    ['59 seconds', { duration: 'PT59S' }, 400, 'DurationTooShort', /shorter than one minute/],
    ['a justification of zero-width characters only', { justification: '\u200b\u200c\u200d\ufeff' }, 400, 'JustificationRequired', /shows no visible text/],
    ['a justification of bidi controls', { justification: '\u202e\u2066\u2069' }, 400, 'JustificationInvalid', /bidirectional/],
    ['a justification with a control character', { justification: 'restore \u0007 weights' }, 400, 'JustificationInvalid', /control characters/],
    ['a justification hiding text behind a right-to-left override', { justification: 'read-only \u202eetirw\u202c' }, 400, 'JustificationInvalid', /bidirectional/],
    ['flexible: unlisted role over the exception cap', { scope: RG.research, role: 'Key Vault Secrets Officer', duration: 'PT13H' }, 400, 'DurationTooLong', /PT13H exceeds the maximum PT12H for an exception request/],
    ['flexible: listed role over the role max and the cap', { scope: RG.research, role: 'Storage Blob Data Contributor', duration: 'P2D' }, 400, 'DurationTooLong', /^P2D exceeds the maximum P1D for Storage Blob Data Contributor on rg-research \(policy research\); ask for P1D or less\.$/],
    ['flexible: listed role over the max, above the cap', { scope: RG.research, role: 'Key Vault Secrets User', duration: 'PT13H' }, 400, 'DurationTooLong', /PT13H exceeds the maximum PT4H .*\(up to PT12H as an exception, with more approvals\)/],
    ['flexible: exception without justification', { scope: RG.research, role: 'Key Vault Secrets Officer', duration: 'PT1H', justification: '  ' }, 400, 'JustificationRequired', /justification is required/],
    ['justification required', { justification: '' }, 400, 'JustificationRequired', 'A justification is required for Storage Blob Data Reader on rg-weights'],
    ['justification blank', { justification: ' \n ' }, 400, 'JustificationRequired', /required/],
    ['justification too long', { justification: 'x'.repeat(2001) }, 400, 'JustificationInvalid', /2001 characters; keep it to 2000/],
    ['months', { duration: 'P1M' }, 400, 'InvalidDuration', /years or months/],
    ['zero', { duration: 'PT0S' }, 400, 'InvalidDuration', /zero/],
    ['not ISO', { duration: '8 hours' }, 400, 'InvalidDuration', /not an ISO 8601 duration/],
    ['not a scope', { scope: 'rg-weights' }, 400, 'InvalidScope', /not an ARM scope \(it must start with \/subscriptions/],
    ['the root', { scope: '/' }, 400, 'InvalidScope', /not an ARM scope/],
  ])('%s', (_name, overrides, status, code, message) => {
    expectError(evaluateNewRequest(request(overrides), seed, NOW), status, code, message);
  });
});

const custom = PolicySet.fromSources([
  {
    file: 'custom.yaml',
    data: {
      id: 'custom',
      description: 'custom rules',
      scope: RG.weights,
      mode: 'enforce',
      roles: [
        {
          role: 'Storage Blob Data Reader',
          maxDuration: 'PT8H',
          approvals: 1,
          approvers: { users: [PEOPLE.alice, PEOPLE.bob] },
          justification: { required: true, pattern: '^[A-Z]+-\\d+\\b', minLength: 12 },
          renewable: false,
          approvalChannel: 'web',
        },
        { role: 'Storage Blob Data Contributor', maxDuration: 'PT2H', approvals: 2, approvers: { users: [PEOPLE.alice, PEOPLE.bob] } },
        { role: 'Reader', maxDuration: 'PT2H', approvals: 1, approvers: { users: [PEOPLE.bob] }, justification: { minLength: 5 } },
      ],
    },
  },
]);

describe('evaluateNewRequest: policy-specific rules', () => {
  test.each([
    ['too short', 'SEC-1 data', 'JustificationInvalid', 'must be at least 12 characters (it has 10)'],
    ['no ticket reference', 'because I need to look at it', 'JustificationInvalid', 'must match the pattern ^[A-Z]+-\\d+\\b set by the policy'],
  ])('justification %s', (_name, justification, code, message) => {
    expectError(evaluateNewRequest(request({ justification }), custom, NOW), 400, code, message);
  });

  test('a justification matching pattern and length passes; the channel comes from the role', () => {
    const draft = draftOf(evaluateNewRequest(request({ justification: '  SEC-1234 eval run  ' }), custom, NOW));
    expect(draft).toMatchObject({ justification: 'SEC-1234 eval run', approvalChannel: 'web', approverUsers: [PEOPLE.alice, PEOPLE.bob] });
  });

  test('minLength only applies to a justification that is given when it is not required', () => {
    expect(draftOf(evaluateNewRequest(request({ role: 'Reader', duration: 'PT1H', justification: '' }), custom, NOW)).justification).toBe('');
    expectError(evaluateNewRequest(request({ role: 'Reader', duration: 'PT1H', justification: 'abc' }), custom, NOW), 400, 'JustificationInvalid');
  });

  test('a request only the requester could approve is refused up front', () => {
    expectError(evaluateNewRequest(request({ role: 'Storage Blob Data Contributor', duration: 'PT1H' }), custom, NOW), 403, 'NoEligibleApprovers', /2 distinct approvals are needed and only 1 approver/);
    expectError(evaluateNewRequest(request({ role: 'Reader', duration: 'PT1H', requester: { id: PEOPLE.carol, name: 'carol' }, principalId: PEOPLE.bob }), custom, NOW), 403, 'NoEligibleApprovers');
  });
});

describe('evaluateNewRequest: renewals', () => {
  const grant = (overrides: Partial<RenewableGrant> = {}): RenewableGrant => ({
    id: 'grant-1',
    principalId: PEOPLE.alice,
    scope: RG.weights,
    roleDefinitionId: roleDefId(BLOB_READER),
    status: 'active',
    expiresAt: at(H).toISOString(),
    ...overrides,
  });

  test('a renewable role renews, linked to its grant', () => {
    const draft = draftOf(evaluateNewRequest(request({ renewsGrant: grant({ scope: RG.weights.toUpperCase() }) }), seed, NOW));
    expect(draft).toMatchObject({ renewsGrantId: 'grant-1', exception: false, requiredApprovals: 2 });
  });

  test.each<[string, Partial<NewRequestCommand>, Partial<RenewableGrant>, number, string]>([
    ['not renewable', {}, {}, 403, 'NotRenewable'],
    ['another role', {}, { roleDefinitionId: roleDefId(BLOB_CONTRIBUTOR) }, 400, 'RenewalMismatch'],
    ['another scope', {}, { scope: RG.research }, 400, 'RenewalMismatch'],
    ['another principal', {}, { principalId: PEOPLE.bob }, 400, 'RenewalMismatch'],
    ['a revoked grant', {}, { status: 'revoked' }, 409, 'GrantNotActive'],
    ['a grant past its expiry', {}, { expiresAt: NOW.toISOString() }, 409, 'GrantNotActive'],
  ])('%s is refused', (_name, overrides, grantOverrides, status, code) => {
    const policies = code === 'NotRenewable' ? custom : seed;
    const justification = code === 'NotRenewable' ? 'SEC-1234 eval run' : 'evaluate';
    expectError(evaluateNewRequest(request({ justification, ...overrides, renewsGrant: grant(grantOverrides) }), policies, NOW), status, code);
  });

  test('a renewal is never an exception', () => {
    const kv = (role: string) => grant({ scope: RG.research, roleDefinitionId: roleDefId(role) });
    expectError(
      evaluateNewRequest(request({ scope: RG.research, role: 'Key Vault Secrets Officer', duration: 'PT1H', renewsGrant: kv('b86a8fe4-44ce-4948-aee5-eccb2c155cd7') }), seed, NOW),
      403,
      'NotRenewable',
      /exceptions cannot be renewed/,
    );
    expectError(
      evaluateNewRequest(request({ scope: RG.research, role: 'Key Vault Secrets User', duration: 'PT6H', renewsGrant: kv('4633458b-17de-408a-b874-0445c86b69e6') }), seed, NOW),
      400,
      'DurationTooLong',
      /^PT6H exceeds the maximum PT4H for Key Vault Secrets User on rg-research \(policy research\); ask for PT4H or less\.$/,
    );
  });
});

describe('evaluateApproval', () => {
  const bob = { approverId: PEOPLE.bob, approverName: 'bob@contoso.test', decision: 'approve' as const };
  const carol = { approverId: PEOPLE.carol, approverName: 'carol@contoso.test', decision: 'approve' as const, comment: ' ok ' };

  test('approvals are recorded until distinct approvers reach the threshold', () => {
    const first = evaluateApproval(pending(), bob, true, at(H));
    expect(first).toMatchObject({ ok: true, outcome: 'recorded', request: { status: 'pending' } });
    if (!first.ok) throw new Error();
    expect(approvalsNeeded(first.request)).toBe(1);
    expect(first.request.approvals).toEqual([{ approverId: PEOPLE.bob, approverName: 'bob@contoso.test', decision: 'approve', at: at(H).toISOString() }]);

    const second = evaluateApproval(first.request, carol, true, at(2 * H));
    expect(second).toMatchObject({ ok: true, outcome: 'approved', request: { status: 'approved', resolvedAt: at(2 * H).toISOString() } });
    if (!second.ok) throw new Error();
    expect(second.request.approvals[1]).toMatchObject({ approverId: PEOPLE.carol, comment: 'ok' });
    expect(distinctApprovers(second.request)).toEqual([PEOPLE.bob, PEOPLE.carol]);
    expect(approvalsNeeded(second.request)).toBe(0);
  });

  test('any deny ends the request', () => {
    const result = evaluateApproval(pending(), { ...bob, decision: 'deny', comment: 'not this week' }, true, at(H));
    expect(result).toMatchObject({ ok: true, outcome: 'denied', request: { status: 'denied', resolvedAt: at(H).toISOString() } });
    if (!result.ok) throw new Error();
    expect(result.request.approvals).toEqual([{ approverId: PEOPLE.bob, approverName: 'bob@contoso.test', decision: 'deny', comment: 'not this week', at: at(H).toISOString() }]);
  });

  test('a user listed by id may approve without group membership', () => {
    const result = evaluateApproval(pending({ approverGroups: [], approverUsers: [PEOPLE.bob.toUpperCase()], requiredApprovals: 1 }), bob, false, at(H));
    expect(result).toMatchObject({ ok: true, outcome: 'approved' });
  });

  const approvedByBob = (): AccessRequest => pending({ approvals: [{ approverId: PEOPLE.bob, approverName: 'bob', decision: 'approve', at: NOW.toISOString() }] });

  test.each<[string, () => AccessRequest, { approverId: string; decision?: 'approve' | 'deny'; comment?: string }, boolean, number, string, RegExp | string]>([
    ['approved request', () => pending({ status: 'approved' }), bob, true, 409, 'RequestResolved', 'Request req-1 is already approved'],
    ['denied request', () => pending({ status: 'denied' }), bob, true, 409, 'RequestResolved', /already denied/],
    ['cancelled request, deny', () => pending({ status: 'cancelled' }), { ...bob, decision: 'deny', comment: 'no' }, true, 409, 'RequestResolved', /already cancelled/],
    ['requester approving their own request', () => pending(), { approverId: PEOPLE.alice }, true, 403, 'SelfApproval', /own access/],
    ['requester in another case', () => pending(), { approverId: PEOPLE.alice.toUpperCase() }, true, 403, 'SelfApproval', /own access/],
    ['principal approving a request made for them', () => pending({ principalId: PEOPLE.carol }), carol, true, 403, 'SelfApproval', /own access/],
    ['not a member', () => pending(), { approverId: PEOPLE.mallory }, false, 403, 'NotAnApprover', `only members of group(s) ${GROUPS.weightsApprovers} may decide`],
    ['approving twice', approvedByBob, bob, true, 409, 'AlreadyDecided', /already decided on request req-1 \(approve/],
    ['approving twice, other case', approvedByBob, { approverId: PEOPLE.bob.toUpperCase() }, true, 409, 'AlreadyDecided', /already decided/],
    ['denying after approving', approvedByBob, { ...bob, decision: 'deny', comment: 'no' }, true, 409, 'AlreadyDecided', /already decided/],
  ])('%s', (_name, make, who, isMember, status, code, message) => {
    const before = make();
    const result = evaluateApproval(before, { approverName: 'x', decision: 'approve', ...who }, isMember, at(H));
    expectError(result, status, code, message);
    expect(before).toEqual(make());
  });

  test.each<[string, () => AccessRequest, string | undefined]>([
    ['no comment', pending, undefined],
    ['an empty comment', pending, ''],
    ['a blank comment', pending, ' \n\t '],
    ['a resolved request (the reason is checked first)', () => pending({ status: 'approved' }), undefined],
    ['the requester denying their own request', () => pending({ requester: { id: PEOPLE.bob, name: 'bob' } }), undefined],
  ])('a denial needs a reason: %s is refused (400 ReasonRequired)', (_name, make, comment) => {
    const result = evaluateApproval(make(), { ...bob, decision: 'deny', ...(comment === undefined ? {} : { comment }) }, true, at(H));
    expectError(result, 400, 'ReasonRequired', 'A denial needs a reason: say why you deny.');
    expect(decisionProblem('deny', comment)?.code).toBe('ReasonRequired');
  });

  test('an approval needs no comment', () => {
    expect(decisionProblem('approve', undefined)).toBeUndefined();
    expect(decisionProblem('deny', 'not this week')).toBeUndefined();
  });

  test('a comment longer than 2000 characters is refused', () => {
    expectError(evaluateApproval(pending(), { ...bob, comment: 'y'.repeat(2001) }, true, at(H)), 400, 'CommentTooLong');
  });

  test('past the pending deadline the request times out instead', () => {
    const request = pending();
    const result = evaluateApproval(request, bob, true, new Date(request.expiresAt));
    expectError(result, 409, 'RequestTimedOut', /timed out at 2025-03-02T10:00:00.000Z/);
    expect(!result.ok && result.request).toMatchObject({ status: 'timedOut', resolvedAt: request.expiresAt, approvals: [] });
  });

  test('property: approved exactly when the distinct approvers reach the threshold, never beyond', () => {
    const pool = [PEOPLE.bob, PEOPLE.carol, PEOPLE.erin, PEOPLE.dave, PEOPLE.bob.toUpperCase()];
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 4 }), fc.array(fc.constantFrom(...pool), { maxLength: 12 }), (required, approvers) => {
        let current = pending({ requiredApprovals: required });
        const distinct = new Set<string>();
        for (const approverId of approvers) {
          const result = evaluateApproval(current, { approverId, approverName: approverId, decision: 'approve' }, true, at(H));
          const wasPending = current.status === 'pending';
          const repeat = distinct.has(approverId.toLowerCase());
          expect(result.ok).toBe(wasPending && !repeat);
          if (result.ok) {
            current = result.request;
            distinct.add(approverId.toLowerCase());
          }
        }
        expect(current.status === 'approved').toBe(distinct.size >= required);
        expect(distinctApprovers(current)).toHaveLength(Math.min(distinct.size, required));
        expect(current.approvals).toHaveLength(distinct.size);
      }),
    );
  });
});

describe('evaluateCancel and timeoutIfExpired', () => {
  test('the requester cancels a pending request', () => {
    expect(evaluateCancel(pending(), PEOPLE.alice.toUpperCase(), at(H))).toEqual({ ok: true, request: { ...pending(), status: 'cancelled', resolvedAt: at(H).toISOString() } });
  });

  test.each<[string, () => AccessRequest, string, Date, number, string]>([
    ['someone else', () => pending(), PEOPLE.bob, at(H), 403, 'NotRequester'],
    ['an approved request', () => pending({ status: 'approved' }), PEOPLE.alice, at(H), 409, 'RequestResolved'],
    ['a timed-out request', () => pending(), PEOPLE.alice, at(25 * H), 409, 'RequestTimedOut'],
  ])('cancel by %s / of %s is refused', (_name, make, caller, now, status, code) => {
    expectError(evaluateCancel(make(), caller, now), status, code);
  });

  test.each([
    ['before the deadline', 'pending', 23 * H, false],
    ['at the deadline', 'pending', 24 * H, true],
    ['after the deadline', 'pending', 48 * H, true],
    ['approved, after the deadline', 'approved', 48 * H, false],

  ] as const)('%s (%s)', (_name, status, offset, timesOut) => {
    const request = pending({ status });
    const result = timeoutIfExpired(request, at(offset));
    if (timesOut) expect(result).toEqual({ ...request, status: 'timedOut', resolvedAt: at(offset).toISOString() });
    else expect(result).toBe(request);
  });
});

test('a request with an unreadable deadline times out (fail closed)', () => {
  expect(timeoutIfExpired(pending({ expiresAt: 'never' }), NOW).status).toBe('timedOut');
});

describe('grant timing', () => {
  test('grantWindow starts the clock at grant time', () => {
    expect(grantWindow(NOW, 8 * H)).toEqual({ startsAt: '2025-03-01T10:00:00.000Z', expiresAt: '2025-03-01T18:00:00.000Z' });
    expect(grantWindow('2025-03-01T23:30:00Z', 2 * H)).toEqual({ startsAt: '2025-03-01T23:30:00.000Z', expiresAt: '2025-03-02T01:30:00.000Z' });
  });

  const grant = (expiresInMs: number, status = 'active') => ({ id: 'g', status, expiresAt: at(expiresInMs).toISOString() });
  const renewal = (duration: string, maxDurationMs?: number) => ({ duration, ...(maxDurationMs ? { maxDurationMs } : {}) });

  test.each<[string, ReturnType<typeof grant>, ReturnType<typeof renewal>, number | undefined, number, boolean, boolean]>([
    ['extends from now', grant(H), renewal('PT8H', 8 * H), undefined, 8 * H, true, false],
    ['never shortens a longer grant', grant(10 * H), renewal('PT2H', 8 * H), undefined, 10 * H, false, false],
    ['capped by the maximum measured from now', grant(H), renewal('PT8H', 8 * H), 4 * H, 4 * H, true, true],
    ['without a known maximum, the requested duration', grant(H), renewal('PT3H'), undefined, 3 * H, true, false],
  ])('%s', (_name, g, r, max, expected, extended, capped) => {
    const result = max === undefined ? renewalExtension(g, r, NOW) : renewalExtension(g, r, NOW, max);
    expect(result).toEqual({ ok: true, expiresAt: at(expected).toISOString(), extended, capped });
  });

  test.each([
    ['revoked', grant(H, 'revoked')],
    ['expired by status', grant(H, 'expired')],
    ['past its expiry', grant(0)],
    ['unreadable expiry', { id: 'g', status: 'active', expiresAt: 'soon' }],
  ])('a grant %s cannot be extended', (_name, g) => {
    expectError(renewalExtension(g, renewal('PT1H', H), NOW), 409, 'GrantNotActive');
  });
});

test.each([
  [RG.weights, 'rg-weights'],
  [SUBSCRIPTION_SCOPE, 'subscription 00000000-0000-0000-0000-000000000001'],
  [`${RG.weights}/providers/Microsoft.Storage/storageAccounts/stweights`, 'stweights'],
])('scopeLabel(%s) = %s', (scope, label) => {
  expect(scopeLabel(scope)).toBe(label);
});

describe('evaluateNewRequest: scopes that could land elsewhere', () => {
  // A scope governed by the lax sandbox policy must not be able to reach rg-weights through `..`.
  test.each([
    '/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg-sandbox/../rg-weights',
    '/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg-sandbox/%2E%2E/rg-weights',
    '/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg-sandbox?/../../rg-weights',
  ])('refuses %s', async (scope) => {
    const policies = await loadPolicies('policies');
    const result = evaluateNewRequest(
      { scope, role: 'Storage Blob Data Contributor', duration: 'PT30M', justification: 'x', requester: { id: '00000000-0000-4000-8000-000000000011', name: 'alice' } },
      policies,
      new Date(),
    );
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error.code).toBe('InvalidScope');
  });
});

describe('exceptions and privileged roles (issue 10, finding 5)', () => {
  const research = (exception: Record<string, unknown>) =>
    PolicySet.fromSources([
      {
        file: 'research.yaml',
        data: {
          id: 'research',
          description: 'Research.',
          scope: RG.research,
          mode: 'enforce',
          kind: 'flexible',
          roles: [{ role: 'Key Vault Secrets User', maxDuration: 'PT4H', approvals: 1, approvers: { groups: [GROUPS.securityTeam] } }],
          exception,
        },
      },
    ]);

  test.each(['User Access Administrator', 'Owner', 'Role Based Access Control Administrator'])('%s is never an exception without an explicit allow-list', (role) => {
    expectError(evaluateNewRequest(request({ scope: RG.research, role, duration: 'PT1H' }), seed, NOW), 403, 'PrivilegedRoleNotRequestable', /privileged role/);
  });

  test('an explicit exception.roles list lets a privileged role be an exception, and only the roles it names', () => {
    const allowList = research({ approvers: { groups: [GROUPS.securityTeam] }, roles: ['User Access Administrator'] });
    expect(draftOf(evaluateNewRequest(request({ scope: RG.research, role: 'User Access Administrator', duration: 'PT1H' }), allowList, NOW))).toMatchObject({ exception: true, requiredApprovals: 2 });
    expectError(evaluateNewRequest(request({ scope: RG.research, role: 'Storage Blob Data Reader', duration: 'PT1H' }), allowList, NOW), 403, 'RoleNotRequestable', /exception\.roles/);
  });

  test('a listed role for longer than its maximum does not become a privileged exception either', () => {
    const listsUaa = PolicySet.fromSources([
      {
        file: 'research.yaml',
        data: {
          id: 'research',
          description: 'Research.',
          scope: RG.research,
          mode: 'enforce',
          kind: 'flexible',
          roles: [
            { role: 'Key Vault Secrets User', maxDuration: 'PT4H', approvals: 1, approvers: { groups: [GROUPS.securityTeam] } },
            { role: 'User Access Administrator', maxDuration: 'PT1H', approvals: 2, approvers: { groups: [GROUPS.securityTeam] } },
          ],
          exception: { approvers: { groups: [GROUPS.securityTeam] } },
        },
      },
    ]);
    expect(draftOf(evaluateNewRequest(request({ scope: RG.research, role: 'User Access Administrator', duration: 'PT1H' }), listsUaa, NOW))).toMatchObject({ exception: false });
    expectError(evaluateNewRequest(request({ scope: RG.research, role: 'User Access Administrator', duration: 'PT2H' }), listsUaa, NOW), 400, 'DurationTooLong', /ask for PT1H or less\.$/);
  });
});

describe('group principals (issue 10, finding 6)', () => {
  test('a member of the group the request is for cannot approve or deny it', () => {
    const forGroup = pending({ principalId: GROUPS.securityTeam, principalType: 'Group' });
    const bob = { approverId: PEOPLE.bob, approverName: 'bob@contoso.test', decision: 'approve' as const };
    expectError(evaluateApproval(forGroup, bob, true, at(H), { memberOfPrincipal: true }), 403, 'SelfApproval', /member of group/);
    expect(evaluateApproval(forGroup, bob, true, at(H), { memberOfPrincipal: false }).ok).toBe(true);
  });

  test('a denial needs a reason with visible text', () => {
    const bob = { approverId: PEOPLE.bob, approverName: 'bob@contoso.test', decision: 'deny' as const };
    expectError(evaluateApproval(pending(), { ...bob, comment: '\u200b' }, true, at(H)), 400, 'ReasonRequired');
    expectError(evaluateApproval(pending(), { ...bob, comment: 'no \u202e thanks' }, true, at(H)), 400, 'CommentInvalid');
  });
});
