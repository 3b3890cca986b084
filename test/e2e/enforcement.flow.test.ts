/**
 * Enforcement end to end through the simulated tenant and its event emission: a rogue
 * assignment is revoked within seconds and recorded with who made it; approved, exempt and
 * audit-mode assignments stay; deletes outside AccessManager end the grants they backed, while
 * AccessManager's own deletes (expiry, revoke) do not; an expired grant (its coverage entry left in place) justifies nothing.
 */
import { randomUUID } from 'node:crypto';
import type { LocalStack } from '../../dev/localStack';
import { RESOURCE_WRITE_SUCCESS, toArmEvent } from '../../dev/sim/events/armEvent';
import { roleAssignmentId } from '../../shared/domain/armIds';
import { APP_ASSIGNMENT_NAME, BREAKGLASS_ASSIGNMENT_NAME, DAVE_BASELINE_ASSIGNMENT_NAME, LOCAL_SUBSCRIPTION_ID, LOCAL_TENANT_ID, PEOPLE, RG, SUBSCRIPTION_SCOPE } from '../../dev/tenant';
import {
  approvedGrant,
  asUser,
  assignOutOfBand,
  auditRecords,
  closeSimAgents,
  decisionsFor,
  deleteOutOfBand,
  deliver,
  exists,
  ROLE,
  settle,
  startEnforcementStack,
  until,
  USER,
} from './enforcementHelpers';

const HOUR = 3600_000;
/** Moved forward by the expiry test only; the rest of the file runs on real time. */
let clockOffsetMs = 0;
let stack: LocalStack;

beforeAll(async () => {
  stack = await startEnforcementStack({ clock: { now: () => new Date(Date.now() + clockOffsetMs) } });
});

afterAll(async () => {
  await stack?.stop();
  await closeSimAgents();
});

const daveBaseline = roleAssignmentId(SUBSCRIPTION_SCOPE, DAVE_BASELINE_ASSIGNMENT_NAME);

describe('a rogue assignment', () => {
  it('dave gives mallory Storage Blob Data Reader on rg-weights: revoked on its event (time-to-revoke is measured by npm run bench), audited with dave as actor and mallory as principal', async () => {
    const rogue = await assignOutOfBand(stack, { scope: RG.weights, roleGuid: ROLE.blobReader, principalId: PEOPLE.mallory });
    await until(() => !exists(stack, rogue.id), 'the rogue assignment to be deleted', 10_000, 5);

    await settle(stack);
    const records = (await auditRecords(stack, { principalId: PEOPLE.mallory, action: 'assignment.revoked' })).filter((r) => r.assignmentId?.toLowerCase() === rogue.id.toLowerCase());
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({
      action: 'assignment.revoked',
      actor: { id: PEOPLE.dave, name: 'dave@contoso.test' },
      principalId: PEOPLE.mallory,
      scope: RG.weights,
      policyId: 'model-weights',
      mode: 'enforce',
    });
    expect(records[0]!.roleDefinitionId!.toLowerCase()).toContain(ROLE.blobReader);
    expect(records[0]!.eventId).toBeDefined();

    // dave's own standing Owner assignment (the declared baseline) is untouched and never judged a violation.
    expect(exists(stack, daveBaseline)).toBe(true);
    expect(await decisionsFor(stack, daveBaseline, SUBSCRIPTION_SCOPE)).not.toHaveProperty('assignment.revoked');
  });
});

describe('what stays', () => {
  it("an approved grant's own assignment stays", async () => {
    const grant = await approvedGrant(stack, { scope: RG.weights, role: 'Storage Blob Data Reader', duration: 'PT8H' });
    await settle(stack);
    expect(exists(stack, grant.assignmentId)).toBe(true);
    const decisions = await decisionsFor(stack, grant.assignmentId, RG.weights);
    expect(decisions['assignment.revoked']).toBeUndefined();
    expect(decisions['assignment.wouldRevoke']).toBeUndefined();
  });

  it('assignments for the break-glass account and for AccessManager itself stay, recorded as exempt', async () => {
    const breakglass = await assignOutOfBand(stack, { scope: RG.weights, roleGuid: ROLE.blobContributor, principalId: PEOPLE.breakglass });
    const self = await assignOutOfBand(stack, { scope: RG.research, roleGuid: ROLE.kvSecretsUser, principalId: PEOPLE.accessManager });
    await until(async () => (await decisionsFor(stack, breakglass.id, RG.weights))['assignment.exempt'] && (await decisionsFor(stack, self.id, RG.research))['assignment.exempt'], 'both exemptions to be recorded');
    await settle(stack);
    expect(exists(stack, breakglass.id)).toBe(true);
    expect(exists(stack, self.id)).toBe(true);
    expect(await decisionsFor(stack, breakglass.id, RG.weights)).toEqual({ 'assignment.exempt': 1 });
    expect(await decisionsFor(stack, self.id, RG.research)).toEqual({ 'assignment.exempt': 1 });
    // The standing ones of the seed are still there too.
    expect(exists(stack, roleAssignmentId(SUBSCRIPTION_SCOPE, BREAKGLASS_ASSIGNMENT_NAME))).toBe(true);
    expect(exists(stack, roleAssignmentId(SUBSCRIPTION_SCOPE, APP_ASSIGNMENT_NAME))).toBe(true);
  });

  it('an unapproved assignment in rg-sandbox (audit mode) stays and is recorded as assignment.wouldRevoke', async () => {
    const sandbox = await assignOutOfBand(stack, { scope: RG.sandbox, roleGuid: ROLE.blobContributor, principalId: PEOPLE.mallory });
    await until(async () => (await decisionsFor(stack, sandbox.id, RG.sandbox))['assignment.wouldRevoke'], 'the would-revoke record');
    await settle(stack);
    expect(exists(stack, sandbox.id)).toBe(true);
    expect(await decisionsFor(stack, sandbox.id, RG.sandbox)).toEqual({ 'assignment.wouldRevoke': 1 });
    const [record] = (await auditRecords(stack, { scope: RG.sandbox, action: 'assignment.wouldRevoke' })).filter((r) => r.assignmentId?.toLowerCase() === sandbox.id.toLowerCase());
    expect(record).toMatchObject({ actor: { id: PEOPLE.dave }, principalId: PEOPLE.mallory, policyId: 'sandbox', mode: 'audit' });
  });
});

describe('deletes', () => {
  it("dave deleting alice's granted assignment ends the grant as revoked (endedExternally) with grant.endedExternally", async () => {
    const grant = await approvedGrant(stack, { scope: RG.research, role: 'Key Vault Secrets User', duration: 'PT4H', approvers: [USER.erin] });
    await settle(stack);
    expect(exists(stack, grant.assignmentId)).toBe(true);

    const deleted = await deleteOutOfBand(stack, grant.assignmentId);
    expect(deleted.status).toBe(200);
    const ended = await until(async () => {
      const res = await asUser<{ items: Array<{ id: string; status: string; endReason?: string }> }>(stack, USER.erin, 'GET', `/api/grants?principalId=${PEOPLE.alice}&status=revoked`);
      return res.body.items.find((g) => g.id === grant.grantId);
    }, 'the grant to end');
    expect(ended).toMatchObject({ status: 'revoked', endReason: 'endedExternally' });
    await settle(stack);
    const records = await auditRecords(stack, { grantId: grant.grantId });
    const external = records.filter((r) => r.action === 'grant.endedExternally');
    expect(external).toHaveLength(1);
    expect(external[0]).toMatchObject({ actor: { id: PEOPLE.dave }, principalId: PEOPLE.alice, assignmentId: grant.assignmentId });
  });

  it("AccessManager's own deletes (a revoke through the API, then expiry) do not produce grant.endedExternally", async () => {
    const revoked = await approvedGrant(stack, { scope: RG.sandbox, role: 'Storage Blob Data Contributor', duration: 'PT1H', approvers: [USER.bob] });
    const expiring = await approvedGrant(stack, { scope: RG.weights, role: 'Storage Blob Data Reader', duration: 'PT1H', requester: { id: PEOPLE.bob, name: 'bob@contoso.test' }, approvers: [USER.carol, USER.erin] });
    await settle(stack);

    const res = await asUser(stack, USER.erin, 'POST', `/api/grants/${revoked.grantId}/revoke`, { reason: 'no longer needed' });
    expect(res.status).toBe(200);
    await until(() => !exists(stack, revoked.assignmentId), 'the revoked grant assignment to go');

    clockOffsetMs = 2 * HOUR;
    try {
      await stack.host.runTimer('expireGrants');
      await until(() => !exists(stack, expiring.assignmentId), 'the expired grant assignment to go');
      await settle(stack);
    } finally {
      clockOffsetMs = 0;
    }

    const revokedTrail = (await auditRecords(stack, { grantId: revoked.grantId })).map((r) => r.action);
    const expiredTrail = (await auditRecords(stack, { grantId: expiring.grantId })).map((r) => r.action);
    expect(revokedTrail).toContain('grant.revoked');
    expect(expiredTrail).toContain('grant.expired');
    expect(revokedTrail).not.toContain('grant.endedExternally');
    expect(expiredTrail).not.toContain('grant.endedExternally');
    // The delete events were delivered and handled (the deletes were ours, so nothing else happened).
    const deliveries = stack.sim.events.recent().filter((d) => d.eventType.endsWith('DeleteSuccess') && [revoked.assignmentId, expiring.assignmentId].some((id) => id.toLowerCase() === d.subject.toLowerCase()));
    expect(deliveries.length).toBeGreaterThanOrEqual(2);
    expect(deliveries.every((d) => d.outcome === 'delivered')).toBe(true);
    expect(await auditRecords(stack, { action: 'grant.endedExternally' })).toHaveLength(1);
  });

  it('an expired grant whose coverage entry expiry left in place justifies nothing: the same assignment made again is revoked', async () => {
    const expiring = await approvedGrant(stack, { scope: RG.weights, role: 'Storage Blob Data Reader', duration: 'PT1H', requester: { id: PEOPLE.bob, name: 'bob@contoso.test' }, approvers: [USER.carol, USER.erin] });
    await settle(stack);
    let againId = '';
    clockOffsetMs = 3 * HOUR;
    try {
      await stack.host.runTimer('expireGrants');
      await until(() => !exists(stack, expiring.assignmentId), 'the expired grant assignment to go');
      const coverage = await stack.deps.grants.readCoverage(PEOPLE.bob, ROLE.blobReader, RG.weights);
      expect(coverage?.entries.map((e) => e.grantId)).toContain(expiring.grantId);

      const again = await assignOutOfBand(stack, { scope: RG.weights, roleGuid: ROLE.blobReader, principalId: PEOPLE.bob });
      againId = again.id;
      await until(() => !exists(stack, again.id), 'the assignment made again to be revoked');
      await settle(stack);
    } finally {
      clockOffsetMs = 0;
    }
    const revoked = (await auditRecords(stack, { principalId: PEOPLE.bob, action: 'assignment.revoked' })).filter((r) => r.assignmentId?.toLowerCase() === againId.toLowerCase());
    expect(revoked).toHaveLength(1);
  });
});

describe('odd but legal input never stops a revocation', () => {
  it('a rogue assignment at a very long scope (1,500 characters) is revoked and recorded', async () => {
    const scope = `${RG.research}/providers/Microsoft.KeyVault/vaults/kv-research/secrets/${'s'.repeat(1500)}`;
    const rogue = await assignOutOfBand(stack, { scope, roleGuid: ROLE.kvSecretsUser, principalId: PEOPLE.mallory });
    await until(() => !exists(stack, rogue.id), 'the long-scoped rogue assignment to be deleted', 3000);
    await settle(stack);
    // The ledger takes ids as long as the event decoder does (2,048), so nothing is cut here.
    const records = (await auditRecords(stack, { scope: RG.research, action: 'assignment.revoked' })).filter((r) => r.principalId === PEOPLE.mallory && r.assignmentId === rogue.id);
    expect(records).toHaveLength(1);
    expect(records[0]!.scope).toBe(scope);
  });
  it('an event id of 250 characters and a caller name of 400 are recorded (the name cut to fit) and the assignment revoked', async () => {
    const rogue = await assignOutOfBand(stack, { scope: RG.weights, roleGuid: ROLE.blobContributor, principalId: PEOPLE.mallory, events: false });
    const longName = `${'d'.repeat(390)}@contoso.test`;
    const event = toArmEvent({
      id: `e-${'x'.repeat(248)}`,
      eventType: RESOURCE_WRITE_SUCCESS,
      eventTime: new Date(),
      subscriptionId: LOCAL_SUBSCRIPTION_ID,
      tenantId: LOCAL_TENANT_ID,
      resourceUri: rogue.id,
      operationName: 'Microsoft.Authorization/roleAssignments/write',
      resourceProvider: 'Microsoft.Authorization',
      evidence: { role: 'Owner', roleAssignmentScope: SUBSCRIPTION_SCOPE, roleAssignmentId: DAVE_BASELINE_ASSIGNMENT_NAME.replace(/-/g, ''), roleDefinitionId: ROLE.owner.replace(/-/g, ''), principalId: PEOPLE.dave, principalType: 'User' },
      claims: { 'http://schemas.microsoft.com/identity/claims/objectidentifier': PEOPLE.dave, 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn': longName },
      correlationId: randomUUID(),
      clientRequestId: randomUUID(),
      clientIpAddress: '203.0.113.7',
      method: 'PUT',
      pathAndQuery: `${rogue.id}?api-version=2022-04-01`,
    });
    expect((await deliver(stack, [event])).status).toBe(200);
    expect(exists(stack, rogue.id)).toBe(false);
    const [record] = (await auditRecords(stack, { scope: RG.weights, action: 'assignment.revoked' })).filter((r) => r.assignmentId?.toLowerCase() === rogue.id.toLowerCase());
    expect(record!.actor).toMatchObject({ id: PEOPLE.dave });
    expect(longName.startsWith(record!.actor.name!.replace(/…$/, ''))).toBe(true);
    expect(record!.eventId).toBe(event.id);
  });
});
