/**
 * End to end over HTTP: access requests, approvals and the grant they produce, against the
 * embedded Cosmos store and the simulated tenant. The happy path of the seed tenant, then
 * every refusal the API promises (API.md) with its status and error code.
 */
import type { LocalStack } from '../../dev/localStack';
import { roleAssignmentId } from '../../shared/domain/armIds';
import { GROUPS, RG } from '../../dev/tenant';
import { anonymous, as, assignmentsFor, auditOf, startTestStack, USERS, type ApiClient, type ApiResponse, type GrantDto, type Page, type RequestDto } from './helpers';

const READER_GUID = '2a2b9908-6ea1-4ae2-8e65-a410df84e7d1';
const HOUR = 3600_000;

let stack: LocalStack;
let alice: ApiClient, bob: ApiClient, carol: ApiClient, erin: ApiClient, dave: ApiClient, mallory: ApiClient;

beforeAll(async () => {
  stack = await startTestStack();
  alice = as(stack, USERS.alice);
  bob = as(stack, USERS.bob);
  carol = as(stack, USERS.carol);
  erin = as(stack, USERS.erin);
  dave = as(stack, USERS.dave);
  mallory = as(stack, USERS.mallory);
});

afterAll(async () => {
  await stack?.stop();
});

/** A fresh pending request for Storage Blob Data Reader on rg-weights, so each test owns its own. */
async function weightsRequest(requester: ApiClient = alice, duration = 'PT8H'): Promise<RequestDto> {
  const res = await requester.post<RequestDto>('/api/requests', { scope: RG.weights, role: 'Storage Blob Data Reader', duration, justification: 'evaluate checkpoint 42' });
  expect(res.status).toBe(201);
  return res.body;
}

function expectError(res: ApiResponse, status: number, code: string): void {
  expect({ status: res.status, code: res.body?.error?.code }).toEqual({ status, code });
  expect(res.body.error?.message).toEqual(expect.stringMatching(/\S/));
}

describe('the full flow for the seed tenant', () => {
  it('request -> two approvals -> role assignment in ARM, an active grant and its audit trail', async () => {
    const created = await alice.post<RequestDto>('/api/requests', {
      scope: RG.weights,
      role: 'Storage Blob Data Reader',
      duration: 'PT8H',
      justification: 'evaluate checkpoint 42 against the held-out set',
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      status: 'pending',
      requiredApprovals: 2,
      principalId: USERS.alice.id,
      requester: { id: USERS.alice.id, name: USERS.alice.name },
      roleName: 'Storage Blob Data Reader',
      policyId: 'model-weights',
      duration: 'PT8H',
      approvals: [],
    });
    expect(created.body.roleDefinitionId.toLowerCase()).toContain(READER_GUID);
    const id: string = created.body.id;

    const first = await bob.post<RequestDto>(`/api/requests/${id}/approve`, { comment: 'ok for the eval' });
    expect(first.status).toBe(200);
    expect(first.body.status).toBe('pending');
    expect(first.body.approvals).toHaveLength(1);
    expect(first.body.approvals[0]).toMatchObject({ approverId: USERS.bob.id, decision: 'approve', comment: 'ok for the eval' });
    expect(first.body.grantId).toBeUndefined();

    const second = await carol.post<RequestDto>(`/api/requests/${id}/approve`);
    expect(second.status).toBe(200);
    expect(second.body.status).toBe('approved');
    expect(second.body.approvals.map((a: { approverId: string }) => a.approverId)).toEqual([USERS.bob.id, USERS.carol.id]);
    const grantId = second.body.grantId!;
    expect(grantId).toMatch(/^[0-9a-f-]{36}$/);

    // The role assignment exists in ARM, named after the grant.
    const live = stack.sim.state.assignments.get(roleAssignmentId(RG.weights, grantId));
    expect(live).toBeDefined();
    expect(live!.name).toBe(grantId);
    expect(live!.properties.principalId.toLowerCase()).toBe(USERS.alice.id);
    expect(live!.properties.roleDefinitionId.toLowerCase()).toContain(`/roledefinitions/${READER_GUID}`);
    expect(live!.properties.scope.toLowerCase()).toBe(RG.weights.toLowerCase());
    expect(assignmentsFor(stack, USERS.alice.id, READER_GUID, RG.weights)).toHaveLength(1);

    const grants = await alice.get<Page<GrantDto>>('/api/grants');
    expect(grants.status).toBe(200);
    const grant = grants.body.items.find((g) => g.id === grantId)!;
    expect(grant).toMatchObject({ id: grantId, requestId: id, status: 'active', principalId: USERS.alice.id, roleName: 'Storage Blob Data Reader' });
    expect(grant.assignmentId.toLowerCase()).toBe(roleAssignmentId(RG.weights, grantId).toLowerCase());
    expect(Date.parse(grant.expiresAt) - Date.parse(grant.startsAt)).toBe(8 * HOUR);
    // Internal bookkeeping stays inside.
    expect(grant).not.toHaveProperty('scopeKey');
    expect(grant).not.toHaveProperty('pendingRemoval');

    const actions = (await auditOf(stack, id)).map((r) => r.action);
    expect(actions.filter((a) => a === 'request.created')).toHaveLength(1);
    expect(actions.filter((a) => a === 'approval.recorded')).toHaveLength(2);
    expect(actions.filter((a) => a === 'grant.created')).toHaveLength(1);
    expect(actions.indexOf('request.created')).toBeLessThan(actions.indexOf('grant.created'));

    // The request as stored says it is fulfilled by that grant.
    const reread = await alice.get<RequestDto>(`/api/requests/${id}`);
    expect(reread.body).toMatchObject({ status: 'approved', grantId });
  });
});

describe('approval rules', () => {
  it('refuses self-approval (403 SelfApproval) and non-members (403 NotAnApprover)', async () => {
    const req = await weightsRequest(bob);
    expectError(await bob.post<RequestDto>(`/api/requests/${req.id}/approve`), 403, 'SelfApproval');
    expectError(await mallory.post<RequestDto>(`/api/requests/${req.id}/approve`), 403, 'NotAnApprover');
    // dave is the subscription Owner but no approver of weights.
    expectError(await dave.post<RequestDto>(`/api/requests/${req.id}/approve`), 403, 'NotAnApprover');
    const after = await bob.get<RequestDto>(`/api/requests/${req.id}`);
    expect(after.body).toMatchObject({ status: 'pending', approvals: [] });
  });

  it('refuses a second decision of the same approver (409 AlreadyDecided) and decisions on a resolved request (409)', async () => {
    const req = await weightsRequest();
    expect((await bob.post<RequestDto>(`/api/requests/${req.id}/approve`)).status).toBe(200);
    expectError(await bob.post<RequestDto>(`/api/requests/${req.id}/approve`), 409, 'AlreadyDecided');
    expectError(await bob.post<RequestDto>(`/api/requests/${req.id}/deny`, { reason: 'changed my mind' }), 409, 'AlreadyDecided');
    // erin is in security-team, nested in weights-approvers: she counts.
    const approved = await erin.post<RequestDto>(`/api/requests/${req.id}/approve`);
    expect(approved.status).toBe(200);
    expect(approved.body.status).toBe('approved');
    expectError(await carol.post<RequestDto>(`/api/requests/${req.id}/approve`), 409, 'RequestResolved');
    expectError(await carol.post<RequestDto>(`/api/requests/${req.id}/deny`, { reason: 'too late' }), 409, 'RequestResolved');
    expectError(await alice.post<RequestDto>(`/api/requests/${req.id}/cancel`), 409, 'RequestResolved');
    const stored = await erin.get<RequestDto>(`/api/requests/${req.id}`);
    expect(stored.body.approvals).toHaveLength(2);
  });

  it('one deny among the approvers ends the request', async () => {
    const req = await weightsRequest();
    expect((await bob.post<RequestDto>(`/api/requests/${req.id}/approve`)).status).toBe(200);
    const denied = await carol.post<RequestDto>(`/api/requests/${req.id}/deny`, { reason: 'not for this checkpoint' });
    expect(denied.status).toBe(200);
    expect(denied.body.status).toBe('denied');
    expect(denied.body.grantId).toBeUndefined();
    expectError(await erin.post<RequestDto>(`/api/requests/${req.id}/approve`), 409, 'RequestResolved');
    const actions = (await auditOf(stack, req.id)).map((r) => r.action);
    expect(actions).toContain('request.denied');
    const grants = await erin.get<Page<GrantDto>>(`/api/grants?principalId=${USERS.alice.id}`);
    expect(grants.body.items.some((g: { requestId: string }) => g.requestId === req.id)).toBe(false);
  });

  it('a deny needs a reason (400)', async () => {
    const req = await weightsRequest();
    const res = await bob.post<RequestDto>(`/api/requests/${req.id}/deny`, {});
    expect(res.status).toBe(400);
    expectError(await bob.post<RequestDto>(`/api/requests/${req.id}/deny`, { reason: '  ' }), 400, 'ReasonRequired');
    expect((await bob.get<RequestDto>(`/api/requests/${req.id}`)).body.status).toBe('pending');
  });
});

describe('what can be requested', () => {
  it('refuses a duration over the maximum with a message naming the maximum', async () => {
    const res = await alice.post<RequestDto>('/api/requests', { scope: RG.weights, role: 'Storage Blob Data Reader', duration: 'PT9H', justification: 'long eval' });
    expectError(res, 400, 'DurationTooLong');
    expect(res.body.error?.message).toContain('PT9H');
    expect(res.body.error?.message).toContain('PT8H');
  });

  it('refuses a role a rigid policy does not list (403 RoleNotRequestable)', async () => {
    const res = await alice.post<RequestDto>('/api/requests', { scope: RG.weights, role: 'Owner', duration: 'PT1H', justification: 'need everything' });
    expectError(res, 403, 'RoleNotRequestable');
    expect(res.body.error?.message).toContain('Storage Blob Data Reader');
  });

  it('refuses a missing justification where the policy requires one', async () => {
    const res = await alice.post<RequestDto>('/api/requests', { scope: RG.weights, role: 'Storage Blob Data Reader', duration: 'PT1H', justification: '   ' });
    expectError(res, 400, 'JustificationRequired');
  });

  it('takes an unlisted role under the flexible research policy as an exception: strictest + 1 approvals from the exception approvers', async () => {
    const res = await alice.post<RequestDto>('/api/requests', { scope: RG.research, role: 'Storage Blob Data Reader', duration: 'PT2H', justification: 'read the scratch outputs' });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ status: 'pending', exception: true, policyId: 'research', requiredApprovals: 2 });
    // Exceptions on research go to security-team and weights-approvers; mallory is neither.
    expectError(await mallory.post<RequestDto>(`/api/requests/${res.body.id}/approve`), 403, 'NotAnApprover');
    const byErin = await erin.post<RequestDto>(`/api/requests/${res.body.id}/approve`, { comment: 'exception ok' });
    expect(byErin.status).toBe(200);
    expect(byErin.body.status).toBe('pending');
    expect(byErin.body.approvals).toHaveLength(1);
    const byBob = await bob.post<RequestDto>(`/api/requests/${res.body.id}/approve`, { comment: 'agreed' });
    expect(byBob.status).toBe(200);
    expect(byBob.body.status).toBe('approved');
  });

  it('refuses an exception longer than its cap (half the longest listed maximum)', async () => {
    const res = await alice.post<RequestDto>('/api/requests', { scope: RG.research, role: 'Storage Blob Data Reader', duration: 'PT13H', justification: 'long read' });
    expectError(res, 400, 'DurationTooLong');
    expect(res.body.error?.message).toContain('PT12H');
  });

  it('refuses a request for someone else unless the caller is an admin', async () => {
    const res = await mallory.post<RequestDto>('/api/requests', { scope: RG.weights, role: 'Storage Blob Data Reader', duration: 'PT1H', justification: 'for alice', principalId: USERS.alice.id });
    expectError(res, 403, 'NotForOthers');
  });
});

describe('scopes and membership', () => {
  it('a scope in another letter case, with stray slashes, is the same scope: one assignment, found by the scope filter', async () => {
    const messy = `/${RG.weights.toUpperCase().replace('/RESOURCEGROUPS/', '//resourcegroups/')}/`;
    const created = await dave.post<RequestDto>('/api/requests', { scope: messy, role: 'Storage Blob Data Reader', duration: 'PT1H', justification: 'case test' });
    expect(created.status).toBe(201);
    expect(created.body.policyId).toBe('model-weights');
    expect(created.body.scope.toLowerCase()).toBe(RG.weights.toLowerCase());
    expect((await bob.post<RequestDto>(`/api/requests/${created.body.id}/approve`)).status).toBe(200);
    const approved = await carol.post<RequestDto>(`/api/requests/${created.body.id}/approve`);
    expect(approved.body.status).toBe('approved');
    expect(assignmentsFor(stack, USERS.dave.id, READER_GUID, RG.weights)).toHaveLength(1);
    const listed = await dave.get<Page<GrantDto>>(`/api/grants?scope=${encodeURIComponent(RG.weights)}`);
    expect(listed.body.items.map((g: { id: string }) => g.id)).toContain(approved.body.grantId);
  });

  it('a resource under a governed resource group is governed by that policy and granted at its own scope', async () => {
    const account = `${RG.weights}/providers/Microsoft.Storage/storageAccounts/stweights`;
    const created = await mallory.post<RequestDto>('/api/requests', { scope: account, role: 'Storage Blob Data Reader', duration: 'PT1H', justification: 'one account only' });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ policyId: 'model-weights', requiredApprovals: 2 });
    expect((await bob.post<RequestDto>(`/api/requests/${created.body.id}/approve`)).status).toBe(200);
    const approved = await erin.post<RequestDto>(`/api/requests/${created.body.id}/approve`);
    expect(approved.body.status).toBe('approved');
    expect(assignmentsFor(stack, USERS.mallory.id, READER_GUID, account)).toHaveLength(1);
    expect(assignmentsFor(stack, USERS.mallory.id, READER_GUID, RG.weights)).toHaveLength(0);
    const underRg = await mallory.get<Page<GrantDto>>(`/api/grants?scope=${encodeURIComponent(RG.weights)}`);
    expect(underRg.body.items.map((g: { id: string }) => g.id)).toContain(approved.body.grantId);
    const elsewhere = await mallory.get<Page<GrantDto>>(`/api/grants?scope=${encodeURIComponent(RG.research)}`);
    expect(elsewhere.body.items.map((g: { id: string }) => g.id)).not.toContain(approved.body.grantId);
  });

  it('membership is asked fresh: an approver removed from the group can no longer decide', async () => {
    const req = await weightsRequest();
    stack.sim.state.directory.removeMember(GROUPS.weightsApprovers, USERS.carol.id);
    try {
      expectError(await carol.post<RequestDto>(`/api/requests/${req.id}/approve`), 403, 'NotAnApprover');
      expectError(await carol.get<RequestDto>(`/api/requests/${req.id}`), 404, 'RequestNotFound');
    } finally {
      stack.sim.state.directory.addMember(GROUPS.weightsApprovers, USERS.carol.id);
    }
    expect((await carol.post<RequestDto>(`/api/requests/${req.id}/approve`)).status).toBe(200);
  });
});

describe('on behalf of another principal', () => {
  it('an admin asks for alice: neither of them can approve it, two others can, and alice gets the grant', async () => {
    const created = await erin.post<RequestDto>('/api/requests', { scope: RG.weights, role: 'Storage Blob Data Reader', duration: 'PT2H', justification: 'for alice', principalId: USERS.alice.id });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ principalId: USERS.alice.id, requester: { id: USERS.erin.id } });
    const id: string = created.body.id;
    expect((await alice.get<RequestDto>(`/api/requests/${id}`)).status).toBe(200);
    expectError(await alice.post<RequestDto>(`/api/requests/${id}/approve`), 403, 'SelfApproval');
    expectError(await erin.post<RequestDto>(`/api/requests/${id}/approve`), 403, 'SelfApproval');
    expect((await bob.post<RequestDto>(`/api/requests/${id}/approve`)).status).toBe(200);
    const approved = await carol.post<RequestDto>(`/api/requests/${id}/approve`);
    expect(approved.body.status).toBe('approved');
    const grant = (await alice.get<Page<GrantDto>>('/api/grants?status=active&limit=200')).body.items.find((g: { requestId: string }) => g.requestId === id);
    expect(grant).toMatchObject({ principalId: USERS.alice.id, status: 'active' });
    // One assignment per (principal, role, scope): this grant shares the one the full flow made.
    expect(assignmentsFor(stack, USERS.alice.id, READER_GUID, RG.weights)).toHaveLength(1);

    // The admin ends it early; the assignment stays while another active grant (the full flow's) still needs it.
    const others = (await erin.get<Page<GrantDto>>(`/api/grants?principalId=${USERS.alice.id}&status=active&limit=200`)).body.items.filter(
      (g) => g.id !== grant!.id && g.scope.toLowerCase() === RG.weights.toLowerCase() && g.roleDefinitionId.toLowerCase().endsWith(READER_GUID),
    );
    expectError(await bob.post(`/api/grants/${grant!.id}/revoke`, { reason: 'not yours' }), 404, 'GrantNotFound');
    const revoked = await erin.post<GrantDto>(`/api/grants/${grant!.id}/revoke`, { reason: 'review found it unnecessary' });
    expect(revoked.status).toBe(200);
    expect(revoked.body).toMatchObject({ status: 'revoked', endReason: 'revoked', endedBy: { id: USERS.erin.id } });
    expect(assignmentsFor(stack, USERS.alice.id, READER_GUID, RG.weights)).toHaveLength(others.length > 0 ? 1 : 0);
    expect((await auditOf(stack, id)).map((r) => r.action)).toContain('grant.revoked');
  });
});

describe('cancel', () => {
  it('the requester cancels; anyone else is refused', async () => {
    const req = await weightsRequest();
    expectError(await bob.post<RequestDto>(`/api/requests/${req.id}/cancel`), 403, 'NotRequester');
    expectError(await erin.post<RequestDto>(`/api/requests/${req.id}/cancel`), 403, 'NotRequester');
    const cancelled = await alice.post<RequestDto>(`/api/requests/${req.id}/cancel`);
    expect(cancelled.status).toBe(200);
    expect(cancelled.body.status).toBe('cancelled');
    expectError(await bob.post<RequestDto>(`/api/requests/${req.id}/approve`), 409, 'RequestResolved');
    const actions = (await auditOf(stack, req.id)).map((r) => r.action);
    expect(actions).toContain('request.cancelled');
  });
});

describe('visibility and listing', () => {
  it('getRequest: requester, eligible approvers and the admin see it; mallory gets 404; unknown ids 404', async () => {
    const req = await weightsRequest();
    for (const who of [alice, bob, carol, erin]) {
      const res = await who.get<RequestDto>(`/api/requests/${req.id}`);
      expect(res.status).toBe(200);
      expect(res.body.id).toBe(req.id);
    }
    expectError(await mallory.get<RequestDto>(`/api/requests/${req.id}`), 404, 'RequestNotFound');
    expectError(await dave.get<RequestDto>(`/api/requests/${req.id}`), 404, 'RequestNotFound');
    expectError(await alice.get('/api/requests/00000000-0000-4000-8000-00000000dead'), 404, 'RequestNotFound');
  });

  it('listRequests: mine=true, approver=me and status filters', async () => {
    const mine = await weightsRequest(alice);
    const bobs = await weightsRequest(bob);
    const cancelled = await weightsRequest(alice);
    expect((await alice.post<RequestDto>(`/api/requests/${cancelled.id}/cancel`)).status).toBe(200);

    const ids = (res: { body: { items: Array<{ id: string }> } }) => res.body.items.map((r) => r.id);

    const aliceMine = await alice.get<Page<RequestDto>>('/api/requests?mine=true&limit=200');
    expect(aliceMine.status).toBe(200);
    expect(aliceMine.body).toHaveProperty('continuationToken');
    expect(ids(aliceMine)).toEqual(expect.arrayContaining([mine.id, cancelled.id]));
    expect(ids(aliceMine)).not.toContain(bobs.id);
    expect(aliceMine.body.items.every((r: { requester: { id: string } }) => r.requester.id === USERS.alice.id)).toBe(true);

    const carolToApprove = await carol.get<Page<RequestDto>>('/api/requests?approver=me&status=pending&limit=200');
    expect(carolToApprove.status).toBe(200);
    expect(ids(carolToApprove)).toEqual(expect.arrayContaining([mine.id, bobs.id]));
    expect(ids(carolToApprove)).not.toContain(cancelled.id);
    expect(carolToApprove.body.items.every((r: { status: string }) => r.status === 'pending')).toBe(true);

    // erin approves through security-team, nested in weights-approvers.
    expect(ids(await erin.get<Page<RequestDto>>('/api/requests?approver=me&status=pending&limit=200'))).toEqual(expect.arrayContaining([mine.id, bobs.id]));

    // bob may approve alice's, never his own.
    const bobToApprove = await bob.get<Page<RequestDto>>('/api/requests?approver=me&limit=200');
    expect(ids(bobToApprove)).toContain(mine.id);
    expect(ids(bobToApprove)).not.toContain(bobs.id);

    // mallory approves nothing, and sees only what she asked for herself.
    const malloryToApprove = await mallory.get<Page<RequestDto>>('/api/requests?approver=me');
    expect(malloryToApprove.status).toBe(200);
    expect(malloryToApprove.body.items).toEqual([]);
    const malloryAll = await mallory.get<Page<RequestDto>>('/api/requests?limit=200');
    expect(malloryAll.body.items.every((r: { requester: { id: string } }) => r.requester.id === USERS.mallory.id)).toBe(true);
    expect(ids(malloryAll)).not.toContain(mine.id);

    const aliceCancelled = await alice.get<Page<RequestDto>>('/api/requests?mine=true&status=cancelled&limit=200');
    expect(ids(aliceCancelled)).toContain(cancelled.id);
    expect(ids(aliceCancelled)).not.toContain(mine.id);

    // The admin lists everyone's.
    const all = await erin.get<Page<RequestDto>>('/api/requests?limit=200');
    expect(ids(all)).toEqual(expect.arrayContaining([mine.id, bobs.id, cancelled.id]));

    expectError(await alice.get<Page<RequestDto>>('/api/requests?status=bogus'), 400, 'InvalidQuery');
    expectError(await alice.get<Page<RequestDto>>('/api/requests?approver=bob'), 400, 'InvalidQuery');
  });

  it('pages with continuation tokens; a token the API did not give is a 400, not a 500', async () => {
    for (let i = 0; i < 3; i++) await weightsRequest(carol);
    const seen = new Set<string>();
    let token: string | null = null;
    let pages = 0;
    do {
      const res: ApiResponse<Page<RequestDto>> = await carol.get<Page<RequestDto>>(`/api/requests?mine=true&limit=2${token ? `&continuationToken=${encodeURIComponent(token)}` : ''}`);
      expect(res.status).toBe(200);
      expect(res.body.items.length).toBeLessThanOrEqual(2);
      for (const r of res.body.items) seen.add(r.id);
      token = res.body.continuationToken;
      pages++;
    } while (token && pages < 10);
    expect(seen.size).toBe(3);
    expect(pages).toBeGreaterThanOrEqual(2);

    for (const bad of ['true', '{}', '[]', '1']) {
      const q = `continuationToken=${encodeURIComponent(bad)}`;
      expectError(await carol.get<Page<RequestDto>>(`/api/requests?${q}`), 400, 'InvalidContinuationToken');
      expectError(await carol.get<Page<GrantDto>>(`/api/grants?${q}`), 400, 'InvalidContinuationToken');
    }
  });
});

describe('identity', () => {
  it('answers 401 without an identity, on every API route', async () => {
    const anon = anonymous(stack);
    const id = '00000000-0000-4000-8000-00000000beef';
    const calls = [
      anon.post<RequestDto>('/api/requests', { scope: RG.weights, role: 'Reader', duration: 'PT1H', justification: 'x' }),
      anon.get<Page<RequestDto>>('/api/requests'),
      anon.get<RequestDto>(`/api/requests/${id}`),
      anon.post<RequestDto>(`/api/requests/${id}/approve`),
      anon.post<RequestDto>(`/api/requests/${id}/deny`, { reason: 'x' }),
      anon.post<RequestDto>(`/api/requests/${id}/cancel`),
      anon.get<Page<GrantDto>>('/api/grants'),
      anon.post<GrantDto>(`/api/grants/${id}/revoke`, { reason: 'x' }),
      anon.post<RequestDto>(`/api/grants/${id}/renew`, { duration: 'PT1H', justification: 'x' }),
      anon.get('/api/audit'),
      anon.get('/api/audit/verify'),
    ];
    for (const res of await Promise.all(calls)) {
      expect(res.status).toBe(401);
      expect(typeof res.body.error?.code).toBe('string');
    }
  });

  it('admin-only routes answer 403 to others', async () => {
    expectError(await alice.get('/api/audit'), 403, 'AdminOnly');
    expectError(await bob.get('/api/audit/verify'), 403, 'AdminOnly');
    const verify = await erin.get<{ ok: boolean }>('/api/audit/verify');
    expect(verify.status).toBe(200);
    expect(verify.body.ok).toBe(true);
  });
});
