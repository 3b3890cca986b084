/**
 * Self-protection (finding 2 of issue 10), end to end: dave, subscription Owner, deletes
 * AccessManager's own role assignment. The delete is recorded naming him and alerted as
 * critical, health turns degraded from what ARM's permissions API says; a rogue Owner made while
 * AccessManager is blind is recorded as a failed revocation (never as revoked); an approval made
 * meanwhile waits instead of failing; once the permission is back both are done and health is ok.
 */
import type { LocalStack } from '../../dev/localStack';
import { principalHeaders } from '../../shared/domain/caller';
import { roleAssignmentId, roleDefinitionId } from '../../shared/domain/armIds';
import { RecordingNotifier } from '../../shared/adapters/recordingNotifier';
import { APP_ASSIGNMENT_NAME, LOCAL_SUBSCRIPTION_ID, PEOPLE, RG, SUBSCRIPTION_SCOPE } from '../../dev/tenant';
import { asUser, assignOutOfBand, auditRecords, closeSimAgents, decisionsFor, deleteOutOfBand, exists, settle, simArm, startEnforcementStack, until, USER } from './enforcementHelpers';

const APP_ASSIGNMENT = roleAssignmentId(SUBSCRIPTION_SCOPE, APP_ASSIGNMENT_NAME);
const UAA = '18d7d88d-d35e-4fb5-a5c3-7773c20a72d9';
const OWNER = '8e3af657-a8ff-443c-a75c-2fe8c4bcb635';

let stack: LocalStack;
const notifier = new RecordingNotifier();

beforeAll(async () => {
  stack = await startEnforcementStack({ notifier });
});

afterAll(async () => {
  await stack?.stop();
  await closeSimAgents();
});

interface Health {
  status: string;
  problems: Array<{ code: string; message: string }>;
  selfAccess: { ok: boolean; missing?: Array<{ scope: string; actions: string[] }> };
}

async function health(): Promise<Health> {
  return (await fetch(`${stack.url}/api/health`, { headers: principalHeaders({ ...USER.erin, roles: [...USER.erin.roles] }) })).json() as Promise<Health>;
}

describe('AccessManager losing its own role assignment', () => {
  let rogue: { id: string };
  let requestId: string;

  it('the delete is recorded naming who did it, alerted as critical, and health is degraded', async () => {
    expect((await health()).status).toBe('ok');
    const deleted = await deleteOutOfBand(stack, APP_ASSIGNMENT);
    expect(deleted.status).toBe(200);
    const [lost] = await until(async () => {
      const found = await auditRecords(stack, { action: 'enforcement.selfAccessLost' });
      return found.length > 0 ? found : undefined;
    }, 'the loss to be recorded');
    await settle(stack);
    expect(await auditRecords(stack, { action: 'enforcement.selfAccessLost' })).toHaveLength(1);
    expect(lost).toMatchObject({ actor: { id: PEOPLE.dave, name: 'dave@contoso.test' }, assignmentId: APP_ASSIGNMENT, details: { change: 'deleted' } });
    expect(notifier.sent.filter((n) => n.kind === 'enforcement.selfAccessLost')).toEqual([expect.objectContaining({ severity: 'critical', securityChannel: true })]);

    // Health asks ARM what AccessManager may do at each governed scope (an empty answer is not "ok").
    const h = await until(async () => {
      const now = await health();
      return now.status === 'degraded' ? now : undefined;
    }, 'health to be degraded');
    expect(h.problems).toEqual([expect.objectContaining({ code: 'SelfAccessLost' })]);
    // Its guardrail role (Contributor locally) still reads role assignments; writing and deleting them is what was lost.
    expect(h.selfAccess.missing).toEqual(
      expect.arrayContaining([{ scope: SUBSCRIPTION_SCOPE, actions: ['Microsoft.Authorization/roleAssignments/write', 'Microsoft.Authorization/roleAssignments/delete'] }]),
    );
    // Without the admin role: degraded, but not which scope AccessManager can no longer act at.
    const anyone = (await (await fetch(`${stack.url}/api/health`, { headers: principalHeaders(USER.dave) })).json()) as Record<string, unknown>;
    expect(anyone).toMatchObject({ status: 'degraded', problems: [{ code: 'SelfAccessLost' }], selfAccess: { ok: false } });
    expect(JSON.stringify(anyone)).not.toContain(LOCAL_SUBSCRIPTION_ID);
  });

  it('a rogue Owner made while AccessManager is blind is recorded as a failed revocation, never as revoked', async () => {
    rogue = await assignOutOfBand(stack, { scope: SUBSCRIPTION_SCOPE, roleGuid: OWNER, principalId: PEOPLE.mallory });
    await until(async () => (await decisionsFor(stack, rogue.id, SUBSCRIPTION_SCOPE))['assignment.revokeFailed'], 'the failed revocation to be recorded');
    await settle(stack);
    expect(exists(stack, rogue.id)).toBe(true);
    expect(await decisionsFor(stack, rogue.id, SUBSCRIPTION_SCOPE)).toEqual({ 'assignment.revokeFailed': 1 });
    expect(notifier.sent.filter((n) => n.kind === 'assignment.revokeFailed')).toEqual([expect.objectContaining({ severity: 'critical', securityChannel: true })]);
    expect(notifier.sent.filter((n) => n.kind === 'assignment.revoked')).toEqual([]);
  });

  it('an approval made meanwhile waits for the permission instead of failing', async () => {
    const created = await asUser<{ id: string }>(stack, USER.alice, 'POST', '/api/requests', { scope: RG.weights, role: 'Storage Blob Data Reader', duration: 'PT2H', justification: 'evaluate checkpoint 7' });
    expect(created.status).toBe(201);
    requestId = created.body.id;
    for (const approver of [USER.bob, USER.carol]) expect((await asUser(stack, approver, 'POST', `/api/requests/${requestId}/approve`, {})).status).toBe(200);
    await stack.host.runTimer('expireGrants');
    const waiting = await stack.deps.requests.get(requestId);
    expect(waiting).toMatchObject({ status: 'approved', fulfilled: false, waitingForPermission: true });
    expect(await auditRecords(stack, { action: 'request.failed' })).toEqual([]);
  });

  it('once the permission is back, the rogue Owner is revoked, the approval fulfilled, and health is ok', async () => {
    const put = await simArm(stack, 'PUT', APP_ASSIGNMENT, {
      caller: PEOPLE.breakglass,
      body: { properties: { roleDefinitionId: roleDefinitionId(LOCAL_SUBSCRIPTION_ID, UAA), principalId: PEOPLE.accessManager, principalType: 'ServicePrincipal' } },
    });
    expect(put.status).toBe(201);
    await settle(stack);
    await stack.host.runTimer('expireGrants');
    const fulfilled = await stack.deps.requests.get(requestId);
    expect(fulfilled).toMatchObject({ status: 'approved', fulfilled: true });
    expect(fulfilled?.waitingForPermission).toBeUndefined();
    const grant = await stack.deps.grants.get(fulfilled!.grantId!);
    expect(grant).toMatchObject({ status: 'active' });
    // The grant's clock starts when it could finally be made, not at the approval.
    expect(Date.parse(grant!.startsAt)).toBeGreaterThan(Date.parse(fulfilled!.resolvedAt!));
    expect(exists(stack, grant!.assignmentId)).toBe(true);

    await stack.host.runTimer('reconcile');
    expect(exists(stack, rogue.id)).toBe(false);
    expect(await decisionsFor(stack, rogue.id, SUBSCRIPTION_SCOPE)).toEqual({ 'assignment.revokeFailed': 1, 'assignment.revoked': 1 });
    expect(await auditRecords(stack, { action: 'enforcement.selfAccessRestored' })).toHaveLength(1);
    expect(await auditRecords(stack, { action: 'enforcement.selfAccessLost' })).toHaveLength(1);
    expect((await health()).status).toBe('ok');
  });

  it('a change to its own assignment by someone else is recorded too', async () => {
    const changed = await simArm(stack, 'PUT', APP_ASSIGNMENT, {
      body: {
        properties: {
          roleDefinitionId: roleDefinitionId(LOCAL_SUBSCRIPTION_ID, UAA),
          principalId: PEOPLE.accessManager,
          description: 'narrowed by dave',
          condition: "((!(ActionMatches{'Microsoft.Authorization/roleAssignments/delete'})))",
          conditionVersion: '2.0',
        },
      },
    });
    expect(changed.status).toBe(201);
    await until(async () => (await auditRecords(stack, { action: 'enforcement.selfAccessLost' })).length === 2, 'the change to be recorded');
    const [latest] = await auditRecords(stack, { action: 'enforcement.selfAccessLost' });
    expect(latest).toMatchObject({ actor: { id: PEOPLE.dave }, assignmentId: APP_ASSIGNMENT, details: { change: 'changed' }, reason: expect.stringContaining('condition') });
  });
});
