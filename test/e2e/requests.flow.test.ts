/**
 * End to end over HTTP: access requests, approvals and the grant they produce, against the
 * embedded Cosmos store and the simulated tenant. The happy path of the seed tenant, then
 * every refusal the API promises (API.md) with its status and error code.
 */
import type { LocalStack } from '../../dev/localStack';
import { roleAssignmentId } from '../../shared/armIds';
import { RG } from '../../shared/tenant';
import { anonymous, as, assignmentsFor, auditOf, startTestStack, USERS, type ApiClient } from './helpers';

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
async function weightsRequest(requester: ApiClient = alice, duration = 'PT8H'): Promise<{ id: string; [k: string]: any }> {
  const res = await requester.post('/api/requests', { scope: RG.weights, role: 'Storage Blob Data Reader', duration, justification: 'evaluate checkpoint 42' });
  expect(res.status).toBe(201);
  return res.body;
}

function expectError(res: { status: number; body: any }, status: number, code: string): void {
  expect({ status: res.status, code: res.body?.error?.code }).toEqual({ status, code });
  expect(typeof res.body.error.message).toBe('string');
  expect(res.body.error.message.length).toBeGreaterThan(0);
}

describe('the full flow for the seed tenant', () => {
  it('request -> two approvals -> role assignment in ARM, an active grant and its audit trail', async () => {
    const created = await alice.post('/api/requests', {
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

    const first = await bob.post(`/api/requests/${id}/approve`, { comment: 'ok for the eval' });
    expect(first.status).toBe(200);
    expect(first.body.status).toBe('pending');
    expect(first.body.approvals).toHaveLength(1);
    expect(first.body.approvals[0]).toMatchObject({ approverId: USERS.bob.id, decision: 'approve', comment: 'ok for the eval' });
    expect(first.body.grantId).toBeUndefined();

    const second = await carol.post(`/api/requests/${id}/approve`);
    expect(second.status).toBe(200);
    expect(second.body.status).toBe('approved');
    expect(second.body.approvals.map((a: { approverId: string }) => a.approverId)).toEqual([USERS.bob.id, USERS.carol.id]);
    const grantId: string = second.body.grantId;
    expect(grantId).toMatch(/^[0-9a-f-]{36}$/);

    // The role assignment exists in ARM, named after the grant.
    const live = stack.sim.state.assignments.get(roleAssignmentId(RG.weights, grantId));
    expect(live).toBeDefined();
    expect(live!.name).toBe(grantId);
    expect(live!.properties.principalId.toLowerCase()).toBe(USERS.alice.id);
    expect(live!.properties.roleDefinitionId.toLowerCase()).toContain(`/roledefinitions/${READER_GUID}`);
    expect(live!.properties.scope.toLowerCase()).toBe(RG.weights.toLowerCase());
    expect(assignmentsFor(stack, USERS.alice.id, READER_GUID, RG.weights)).toHaveLength(1);

    const grants = await alice.get('/api/grants');
    expect(grants.status).toBe(200);
    const grant = grants.body.items.find((g: { id: string }) => g.id === grantId);
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
    const reread = await alice.get(`/api/requests/${id}`);
    expect(reread.body).toMatchObject({ status: 'approved', grantId });
  });
});

describe('approval rules', () => {
  it('refuses self-approval (403 SelfApproval) and non-members (403 NotAnApprover)', async () => {
    const req = await weightsRequest(bob);
    expectError(await bob.post(`/api/requests/${req.id}/approve`), 403, 'SelfApproval');
    expectError(await mallory.post(`/api/requests/${req.id}/approve`), 403, 'NotAnApprover');
    // dave is the subscription Owner but no approver of weights.
    expectError(await dave.post(`/api/requests/${req.id}/approve`), 403, 'NotAnApprover');
    const after = await bob.get(`/api/requests/${req.id}`);
    expect(after.body).toMatchObject({ status: 'pending', approvals: [] });
  });

  it('refuses a second decision of the same approver (409 AlreadyDecided) and decisions on a resolved request (409)', async () => {
    const req = await weightsRequest();
    expect((await bob.post(`/api/requests/${req.id}/approve`)).status).toBe(200);
    expectError(await bob.post(`/api/requests/${req.id}/approve`), 409, 'AlreadyDecided');
    expectError(await bob.post(`/api/requests/${req.id}/deny`, { reason: 'changed my mind' }), 409, 'AlreadyDecided');
    // erin is in security-team, nested in weights-approvers: she counts.
    const approved = await erin.post(`/api/requests/${req.id}/approve`);
    expect(approved.status).toBe(200);
    expect(approved.body.status).toBe('approved');
    expectError(await carol.post(`/api/requests/${req.id}/approve`), 409, 'RequestResolved');
    expectError(await carol.post(`/api/requests/${req.id}/deny`, { reason: 'too late' }), 409, 'RequestResolved');
    expectError(await alice.post(`/api/requests/${req.id}/cancel`), 409, 'RequestResolved');
    const stored = await erin.get(`/api/requests/${req.id}`);
    expect(stored.body.approvals).toHaveLength(2);
  });

  it('one deny among the approvers ends the request', async () => {
    const req = await weightsRequest();
    expect((await bob.post(`/api/requests/${req.id}/approve`)).status).toBe(200);
    const denied = await carol.post(`/api/requests/${req.id}/deny`, { reason: 'not for this checkpoint' });
    expect(denied.status).toBe(200);
    expect(denied.body.status).toBe('denied');
    expect(denied.body.grantId).toBeUndefined();
    expectError(await erin.post(`/api/requests/${req.id}/approve`), 409, 'RequestResolved');
    const actions = (await auditOf(stack, req.id)).map((r) => r.action);
    expect(actions).toContain('request.denied');
    const grants = await erin.get(`/api/grants?principalId=${USERS.alice.id}`);
    expect(grants.body.items.some((g: { requestId: string }) => g.requestId === req.id)).toBe(false);
  });

  it('a deny needs a reason (400)', async () => {
    const req = await weightsRequest();
    const res = await bob.post(`/api/requests/${req.id}/deny`, {});
    expect(res.status).toBe(400);
    expect((await bob.get(`/api/requests/${req.id}`)).body.status).toBe('pending');
  });
});

describe('what can be requested', () => {
  it('refuses a duration over the maximum with a message naming the maximum', async () => {
    const res = await alice.post('/api/requests', { scope: RG.weights, role: 'Storage Blob Data Reader', duration: 'PT9H', justification: 'long eval' });
    expectError(res, 400, 'DurationTooLong');
    expect(res.body.error.message).toContain('PT9H');
    expect(res.body.error.message).toContain('PT8H');
  });

  it('refuses a role a rigid policy does not list (403 RoleNotRequestable)', async () => {
    const res = await alice.post('/api/requests', { scope: RG.weights, role: 'Owner', duration: 'PT1H', justification: 'need everything' });
    expectError(res, 403, 'RoleNotRequestable');
    expect(res.body.error.message).toContain('Storage Blob Data Reader');
  });

  it('refuses a missing justification where the policy requires one', async () => {
    const res = await alice.post('/api/requests', { scope: RG.weights, role: 'Storage Blob Data Reader', duration: 'PT1H', justification: '   ' });
    expectError(res, 400, 'JustificationRequired');
  });

  it('takes an unlisted role under the flexible research policy as an exception: strictest + 1 approvals from security-team', async () => {
    const res = await alice.post('/api/requests', { scope: RG.research, role: 'Storage Blob Data Reader', duration: 'PT2H', justification: 'read the scratch outputs' });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ status: 'pending', exception: true, policyId: 'research', requiredApprovals: 2 });
    // bob approves weights, but exceptions on research go to security-team only.
    expectError(await bob.post(`/api/requests/${res.body.id}/approve`), 403, 'NotAnApprover');
    const byErin = await erin.post(`/api/requests/${res.body.id}/approve`, { comment: 'exception ok' });
    expect(byErin.status).toBe(200);
    expect(byErin.body.status).toBe('pending');
    expect(byErin.body.approvals).toHaveLength(1);
  });

  it('refuses an exception longer than its cap (half the longest listed maximum)', async () => {
    const res = await alice.post('/api/requests', { scope: RG.research, role: 'Storage Blob Data Reader', duration: 'PT13H', justification: 'long read' });
    expectError(res, 400, 'DurationTooLong');
    expect(res.body.error.message).toContain('PT12H');
  });

  it('refuses a request for someone else unless the caller is an admin', async () => {
    const res = await mallory.post('/api/requests', { scope: RG.weights, role: 'Storage Blob Data Reader', duration: 'PT1H', justification: 'for alice', principalId: USERS.alice.id });
    expectError(res, 403, 'NotForOthers');
  });
});

describe('cancel', () => {
  it('the requester cancels; anyone else is refused', async () => {
    const req = await weightsRequest();
    expectError(await bob.post(`/api/requests/${req.id}/cancel`), 403, 'NotRequester');
    expectError(await erin.post(`/api/requests/${req.id}/cancel`), 403, 'NotRequester');
    const cancelled = await alice.post(`/api/requests/${req.id}/cancel`);
    expect(cancelled.status).toBe(200);
    expect(cancelled.body.status).toBe('cancelled');
    expectError(await bob.post(`/api/requests/${req.id}/approve`), 409, 'RequestResolved');
    const actions = (await auditOf(stack, req.id)).map((r) => r.action);
    expect(actions).toContain('request.cancelled');
  });
});

describe('visibility and listing', () => {
  it('getRequest: requester, eligible approvers and the admin see it; mallory gets 404; unknown ids 404', async () => {
    const req = await weightsRequest();
    for (const who of [alice, bob, carol, erin]) {
      const res = await who.get(`/api/requests/${req.id}`);
      expect(res.status).toBe(200);
      expect(res.body.id).toBe(req.id);
    }
    expectError(await mallory.get(`/api/requests/${req.id}`), 404, 'RequestNotFound');
    expectError(await dave.get(`/api/requests/${req.id}`), 404, 'RequestNotFound');
    expectError(await alice.get('/api/requests/00000000-0000-4000-8000-00000000dead'), 404, 'RequestNotFound');
  });

  it('listRequests: mine=true, approver=me and status filters', async () => {
    const mine = await weightsRequest(alice);
    const bobs = await weightsRequest(bob);
    const cancelled = await weightsRequest(alice);
    expect((await alice.post(`/api/requests/${cancelled.id}/cancel`)).status).toBe(200);

    const ids = (res: { body: { items: Array<{ id: string }> } }) => res.body.items.map((r) => r.id);

    const aliceMine = await alice.get('/api/requests?mine=true&limit=200');
    expect(aliceMine.status).toBe(200);
    expect(aliceMine.body).toHaveProperty('continuationToken');
    expect(ids(aliceMine)).toEqual(expect.arrayContaining([mine.id, cancelled.id]));
    expect(ids(aliceMine)).not.toContain(bobs.id);
    expect(aliceMine.body.items.every((r: { requester: { id: string } }) => r.requester.id === USERS.alice.id)).toBe(true);

    const carolToApprove = await carol.get('/api/requests?approver=me&status=pending&limit=200');
    expect(carolToApprove.status).toBe(200);
    expect(ids(carolToApprove)).toEqual(expect.arrayContaining([mine.id, bobs.id]));
    expect(ids(carolToApprove)).not.toContain(cancelled.id);
    expect(carolToApprove.body.items.every((r: { status: string }) => r.status === 'pending')).toBe(true);

    // bob may approve alice's, never his own.
    const bobToApprove = await bob.get('/api/requests?approver=me&limit=200');
    expect(ids(bobToApprove)).toContain(mine.id);
    expect(ids(bobToApprove)).not.toContain(bobs.id);

    // mallory approves nothing and asked for nothing.
    const malloryToApprove = await mallory.get('/api/requests?approver=me');
    expect(malloryToApprove.status).toBe(200);
    expect(malloryToApprove.body.items).toEqual([]);
    const malloryAll = await mallory.get('/api/requests');
    expect(malloryAll.body.items).toEqual([]);

    const aliceCancelled = await alice.get('/api/requests?mine=true&status=cancelled&limit=200');
    expect(ids(aliceCancelled)).toContain(cancelled.id);
    expect(ids(aliceCancelled)).not.toContain(mine.id);

    // The admin lists everyone's.
    const all = await erin.get('/api/requests?limit=200');
    expect(ids(all)).toEqual(expect.arrayContaining([mine.id, bobs.id, cancelled.id]));

    expectError(await alice.get('/api/requests?status=bogus'), 400, 'InvalidQuery');
    expectError(await alice.get('/api/requests?approver=bob'), 400, 'InvalidQuery');
  });
});

describe('identity', () => {
  it('answers 401 without an identity, on every API route', async () => {
    const anon = anonymous(stack);
    const id = '00000000-0000-4000-8000-00000000beef';
    const calls = [
      anon.post('/api/requests', { scope: RG.weights, role: 'Reader', duration: 'PT1H', justification: 'x' }),
      anon.get('/api/requests'),
      anon.get(`/api/requests/${id}`),
      anon.post(`/api/requests/${id}/approve`),
      anon.post(`/api/requests/${id}/deny`, { reason: 'x' }),
      anon.post(`/api/requests/${id}/cancel`),
      anon.get('/api/grants'),
      anon.post(`/api/grants/${id}/revoke`, { reason: 'x' }),
      anon.post(`/api/grants/${id}/renew`, { duration: 'PT1H', justification: 'x' }),
      anon.get('/api/audit'),
      anon.get('/api/audit/verify'),
    ];
    for (const res of await Promise.all(calls)) {
      expect(res.status).toBe(401);
      expect(typeof res.body.error.code).toBe('string');
    }
  });

  it('admin-only routes answer 403 to others', async () => {
    expectError(await alice.get('/api/audit'), 403, 'AdminOnly');
    expectError(await bob.get('/api/audit/verify'), 403, 'AdminOnly');
    const verify = await erin.get('/api/audit/verify');
    expect(verify.status).toBe(200);
    expect(verify.body.ok).toBe(true);
  });
});
