/**
 * Findings 5, 6, 7 and 9 of issue 10, tried again through the local stack:
 * - exceptions never reach privileged roles (alice's exception request for User Access
 *   Administrator on rg-research is refused and writes nothing);
 * - principals as Azure has them: a grant to a group goes out as a Group assignment and works end
 *   to end; a direct or transitive member of the group cannot approve it; a service principal
 *   gets a ServicePrincipal assignment; an unknown principal is refused;
 * - a forged delete event ends no grant whose assignment ARM still has;
 * - input: justifications without visible text, durations under a minute and principals with two
 *   object id claims are refused.
 */
import { randomUUID } from 'node:crypto';
import type { LocalStack } from '../../dev/localStack';
import { RESOURCE_DELETE_SUCCESS, toArmEvent } from '../../dev/sim/events/armEvent';
import { scopeKey } from '../../shared/domain/armIds';
import { ADMIN_ROLE } from '../../shared/domain/caller';
import { GROUPS, LOCAL_SUBSCRIPTION_ID, LOCAL_TENANT_ID, PEOPLE, RG, SUBSCRIPTION_SCOPE } from '../../dev/tenant';
import { addDirectoryUsers, writeFootprint } from './helpers';
import { asUser, auditRecords, closeSimAgents, deliver, exists, settle, startEnforcementStack, until, USER } from './enforcementHelpers';

let stack: LocalStack;

/** frank: in group 23, nested in security-team (22), which is nested in weights-approvers (21). */
const FRANK = { id: '00000000-0000-4000-8000-000000000131', name: 'frank@contoso.test' };
const NESTED_GROUP = '00000000-0000-4000-8000-000000000023';
const PIPELINE_SP = '00000000-0000-4000-8000-000000000140';

beforeAll(async () => {
  stack = await startEnforcementStack();
  const directory = stack.sim.state.directory;
  directory.add({ kind: 'Group', id: NESTED_GROUP, displayName: 'security-oncall', description: 'On-call security engineers', mailNickname: 'security-oncall', memberIds: [] });
  directory.addMember(GROUPS.securityTeam, NESTED_GROUP);
  addDirectoryUsers(directory, [FRANK], NESTED_GROUP);
  directory.add({ kind: 'ServicePrincipal', id: PIPELINE_SP, displayName: 'training-pipeline', appId: randomUUID(), servicePrincipalType: 'Application' });
});

afterAll(async () => {
  await stack?.stop();
  await closeSimAgents();
});

interface RequestBody {
  id: string;
  status: string;
  principalType?: string;
  grantId?: string;
  error?: { code: string; message: string };
}

describe('exceptions never reach privileged roles (finding 5)', () => {
  it.each([
    ['User Access Administrator'],
    ['Owner'],
    ['Role Based Access Control Administrator'],
  ])("alice's exception request for %s on rg-research is refused and writes nothing", async (role) => {
    const before = await writeFootprint(stack);
    const res = await asUser<RequestBody>(stack, USER.alice, 'POST', '/api/requests', { scope: RG.research, role, duration: 'PT1H', justification: 'need to fix a pipeline' });
    expect(res.status).toBe(403);
    expect(res.body.error).toMatchObject({ code: 'PrivilegedRoleNotRequestable', message: expect.stringContaining('privileged') });
    expect(await writeFootprint(stack)).toEqual(before);
  });

  it('a role that cannot grant access is still requestable as an exception', async () => {
    const res = await asUser<RequestBody & { exception?: boolean }>(stack, USER.alice, 'POST', '/api/requests', { scope: RG.research, role: 'Key Vault Secrets Officer', duration: 'PT1H', justification: 'rotate the crawler token' });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ status: 'pending', exception: true });
  });
});

describe('principals as Azure has them (finding 6)', () => {
  let groupRequest: string;

  it('a request for a group records it as a Group, and members of the group (even nested) cannot approve it', async () => {
    const created = await asUser<RequestBody>(stack, USER.erin, 'POST', '/api/requests', {
      scope: RG.weights,
      role: 'Storage Blob Data Reader',
      duration: 'PT2H',
      justification: 'security review of the checkpoints',
      principalId: GROUPS.securityTeam,
    });
    expect(created.status).toBe(201);
    expect(created.body.principalType).toBe('Group');
    groupRequest = created.body.id;
    // frank approves weights requests through weights-approvers, but he is in security-team through security-oncall.
    const byMember = await asUser<RequestBody>(stack, FRANK, 'POST', `/api/requests/${groupRequest}/approve`, {});
    expect(byMember.status).toBe(403);
    expect(byMember.body.error).toMatchObject({ code: 'SelfApproval', message: expect.stringContaining(GROUPS.securityTeam) });
    // Nor is it among the requests frank is asked to approve.
    const listed = await asUser<{ items: RequestBody[] }>(stack, FRANK, 'GET', '/api/requests?approver=me');
    expect(listed.body.items.map((r) => r.id)).not.toContain(groupRequest);
  });

  it('approved by people outside the group, it becomes a Group role assignment that enforcement leaves alone', async () => {
    for (const approver of [USER.bob, USER.carol]) expect((await asUser(stack, approver, 'POST', `/api/requests/${groupRequest}/approve`, {})).status).toBe(200);
    const request = (await asUser<RequestBody>(stack, USER.erin, 'GET', `/api/requests/${groupRequest}`)).body;
    expect(request.status).toBe('approved');
    const grant = await until(() => stack.deps.grants.get(request.grantId!), 'the group grant');
    expect(grant).toMatchObject({ status: 'active', principalType: 'Group', principalId: GROUPS.securityTeam });
    const assignment = stack.sim.state.assignments.get(grant.assignmentId);
    expect(assignment?.properties).toMatchObject({ principalType: 'Group', principalId: GROUPS.securityTeam });
    await settle(stack);
    // Its own write event came back and was recognised: still there, nothing revoked.
    expect(exists(stack, grant.assignmentId)).toBe(true);
    expect((await auditRecords(stack, { action: 'assignment.revoked' })).filter((r) => scopeKey(r.assignmentId!) === scopeKey(grant.assignmentId))).toEqual([]);
    expect(await auditRecords(stack, { grantId: grant.id, action: 'grant.created' })).toEqual([expect.objectContaining({ details: { principalType: 'Group' } })]);
  });

  it('a service principal gets a ServicePrincipal assignment', async () => {
    const created = await asUser<RequestBody>(stack, USER.erin, 'POST', '/api/requests', { scope: SUBSCRIPTION_SCOPE, role: 'Reader', duration: 'PT1H', justification: 'pipeline inventory', principalId: PIPELINE_SP });
    expect(created.status).toBe(201);
    expect(created.body.principalType).toBe('ServicePrincipal');
    const approved = await asUser<RequestBody>(stack, FRANK, 'POST', `/api/requests/${created.body.id}/approve`, {});
    expect(approved.status).toBe(200);
    const grant = await until(() => stack.deps.grants.get(approved.body.grantId!), 'the service principal grant');
    expect(stack.sim.state.assignments.get(grant.assignmentId)?.properties.principalType).toBe('ServicePrincipal');
  });

  it('a principal the directory does not have is refused before anything is written', async () => {
    const before = await writeFootprint(stack);
    const res = await asUser<RequestBody>(stack, USER.erin, 'POST', '/api/requests', { scope: RG.weights, role: 'Storage Blob Data Reader', duration: 'PT1H', justification: 'x', principalId: randomUUID() });
    expect(res.status).toBe(400);
    expect(res.body.error?.code).toBe('PrincipalNotFound');
    expect(await writeFootprint(stack)).toEqual(before);
  });
});

describe('delete events are checked against ARM (finding 7)', () => {
  it('a forged delete of an active grant ends nothing while ARM still has the assignment', async () => {
    const [grant] = (await stack.deps.grants.list({ status: 'active', principalId: GROUPS.securityTeam })).items;
    expect(grant).toBeDefined();
    const forged = toArmEvent({
      id: randomUUID(),
      eventType: RESOURCE_DELETE_SUCCESS,
      eventTime: new Date(),
      subscriptionId: LOCAL_SUBSCRIPTION_ID,
      tenantId: LOCAL_TENANT_ID,
      resourceUri: grant!.assignmentId,
      operationName: 'Microsoft.Authorization/roleAssignments/delete',
      resourceProvider: 'Microsoft.Authorization',
      evidence: { role: 'Owner', roleAssignmentScope: SUBSCRIPTION_SCOPE, roleAssignmentId: '0b5e1d9c7a2f4e3b8c6d1a0f9e8d7c6b', roleDefinitionId: '8e3af657a8ff443ca75c2fe8c4bcb635', principalId: PEOPLE.dave, principalType: 'User' },
      claims: { 'http://schemas.microsoft.com/identity/claims/objectidentifier': PEOPLE.dave },
      correlationId: randomUUID(),
      clientRequestId: randomUUID(),
      clientIpAddress: '203.0.113.7',
      method: 'DELETE',
      pathAndQuery: `${grant!.assignmentId}?api-version=2022-04-01`,
    });
    expect((await deliver(stack, [forged])).status).toBe(200);
    expect(await stack.deps.grants.get(grant!.id)).toMatchObject({ status: 'active' });
    expect(await auditRecords(stack, { action: 'grant.endedExternally' })).toEqual([]);
  });
});

describe('input (finding 9)', () => {
  it.each([
    ['zero-width characters only', '\u200b\u200b\u200d\ufeff', 'JustificationRequired'],
    ['bidi controls only', '\u202e\u2067\u2069', 'JustificationInvalid'],
    ['text behind a right-to-left override', 'read \u202egnitirw\u202c only', 'JustificationInvalid'],
  ])('a justification of %s is refused', async (_label, justification, code) => {
    const res = await asUser<RequestBody>(stack, USER.alice, 'POST', '/api/requests', { scope: RG.weights, role: 'Storage Blob Data Reader', duration: 'PT1H', justification });
    expect(res.status).toBe(400);
    expect(res.body.error?.code).toBe(code);
  });

  it.each([['PT0.0006S'], ['PT59S']])('a duration of %s (under a minute) is refused', async (duration) => {
    const res = await asUser<RequestBody>(stack, USER.alice, 'POST', '/api/requests', { scope: RG.weights, role: 'Storage Blob Data Reader', duration, justification: 'evaluate checkpoint 9' });
    expect(res.status).toBe(400);
    expect(res.body.error?.code).toBe('DurationTooShort');
  });

  it('a principal carrying a second object id claim has no identity (401), whichever comes first', async () => {
    for (const claims of [
      [
        { typ: 'http://schemas.microsoft.com/identity/claims/objectidentifier', val: PEOPLE.alice },
        { typ: 'oid', val: PEOPLE.erin },
      ],
      [
        { typ: 'oid', val: PEOPLE.erin },
        { typ: 'http://schemas.microsoft.com/identity/claims/objectidentifier', val: PEOPLE.alice },
      ],
    ]) {
      const principal = Buffer.from(JSON.stringify({ auth_typ: 'aad', claims: [...claims, { typ: 'roles', val: ADMIN_ROLE }], name_typ: 'name', role_typ: 'roles' })).toString('base64');
      const res = await fetch(`${stack.url}/api/requests?status=pending`, {
        headers: { 'x-ms-client-principal-id': PEOPLE.alice, 'x-ms-client-principal-name': 'alice@contoso.test', 'x-ms-client-principal-idp': 'aad', 'x-ms-client-principal': principal },
      });
      expect(res.status).toBe(401);
    }
  });
});
