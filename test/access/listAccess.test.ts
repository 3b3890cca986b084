/** GET /api/access on a full local stack (embedded Cosmos, simulated ARM): the live view of the seed tenant after real approvals and an out-of-band write. */
import { startLocalStack, type LocalStack } from '../../dev/localStack';
import type { AccessItem } from '../../shared/domain/access/accessView';
import { findBuiltInRole } from '../../shared/domain/roles';
import { APP_ASSIGNMENT_NAME, BREAKGLASS_ASSIGNMENT_NAME, DAVE_BASELINE_ASSIGNMENT_NAME, PEOPLE, RG, SUBSCRIPTION_SCOPE } from '../../dev/tenant';
import { apiAs, approvedRequest, outOfBandAssignment } from './localTenant';

let stack: LocalStack;
let aliceRequest: { id: string; status: string; grantId?: string };
let sandboxAssignmentId: string;
let items: AccessItem[];

const byName = (name: string) => items.find((i) => i.assignmentId.toLowerCase().endsWith(`/${name.toLowerCase()}`));

beforeAll(async () => {
  stack = await startLocalStack({ port: 0, simPort: 0, cosmosPort: 0 });
  aliceRequest = await approvedRequest(stack, 'alice', { scope: RG.weights, role: 'Storage Blob Data Reader', duration: 'PT8H' }, ['bob', 'carol']);
  sandboxAssignmentId = await outOfBandAssignment(stack, RG.sandbox, PEOPLE.mallory, findBuiltInRole('Storage Blob Data Contributor')!.guid);
  await stack.sim.events.idle();
  const answer = await apiAs<{ items: AccessItem[] }>(stack, 'erin', 'GET', '/api/access');
  expect(answer.status).toBe(200);
  items = answer.body.items;
}, 60_000);

afterAll(async () => {
  await stack?.stop();
});

describe('GET /api/access', () => {
  test("alice's approved grant shows its request, both approvers with names and times, and its expiry", () => {
    expect(aliceRequest.status).toBe('approved');
    const item = byName(aliceRequest.grantId!);
    expect(item).toMatchObject({
      status: 'granted',
      principalId: PEOPLE.alice,
      principalName: 'alice@contoso.test',
      roleName: 'Storage Blob Data Reader',
      policyId: 'model-weights',
      mode: 'enforce',
      grant: { grantId: aliceRequest.grantId, requestId: aliceRequest.id },
    });
    const grant = item!.grant!;
    expect(grant.approvers.map((a) => a.name).sort()).toEqual(['bob@contoso.test', 'carol@contoso.test']);
    for (const approver of grant.approvers) expect(Number.isNaN(Date.parse(approver.at))).toBe(false);
    expect(Date.parse(grant.expiresAt) - Date.parse(grant.startsAt!)).toBe(8 * 3_600_000);
  });

  test("dave's baseline Owner assignment shows as exempt (declared baseline)", () => {
    expect(byName(DAVE_BASELINE_ASSIGNMENT_NAME)).toMatchObject({ status: 'exempt', principalName: 'dave@contoso.test', roleName: 'Owner', scope: SUBSCRIPTION_SCOPE, exemption: { kind: 'assignment', policyId: 'subscription-baseline' } });
  });

  test('break-glass and AccessManager itself show as exempt', () => {
    expect(byName(BREAKGLASS_ASSIGNMENT_NAME)).toMatchObject({ status: 'exempt', exemption: { kind: 'principal' } });
    expect(byName(APP_ASSIGNMENT_NAME)).toMatchObject({ status: 'exempt', principalName: 'AccessManager', exemption: { kind: 'self' } });
  });

  test('an assignment made in rg-sandbox (audit mode) without approval shows as unapproved, in audit mode', () => {
    const item = items.find((i) => i.assignmentId.toLowerCase() === sandboxAssignmentId.toLowerCase());
    expect(item).toMatchObject({ status: 'unapproved', principalId: PEOPLE.mallory, roleName: 'Storage Blob Data Contributor', policyId: 'sandbox', mode: 'audit' });
  });

  test('a narrower scope lists only what is at or under it', async () => {
    const answer = await apiAs<{ items: AccessItem[] }>(stack, 'erin', 'GET', `/api/access?scope=${encodeURIComponent(RG.sandbox)}`);
    expect(answer.status).toBe(200);
    expect(answer.body.items.map((i) => i.assignmentId.toLowerCase())).toEqual([sandboxAssignmentId.toLowerCase()]);
  });

  test('a non-admin gets 403, a bad scope 400', async () => {
    const asAlice = await apiAs<{ error: { code: string } }>(stack, 'alice', 'GET', '/api/access');
    expect(asAlice.status).toBe(403);
    expect(asAlice.body.error.code).toBe('AdminOnly');
    const bad = await apiAs<{ error: { code: string; message: string } }>(stack, 'erin', 'GET', '/api/access?scope=rg-weights');
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toContain('ARM scope');
    const escaping = await apiAs<{ error: { code: string; message: string } }>(stack, 'erin', 'GET', `/api/access?scope=${encodeURIComponent(`${RG.sandbox}/../rg-weights`)}`);
    expect(escaping.status).toBe(400);
    expect(escaping.body.error.code).toBe('InvalidScope');
    const unknown = await apiAs<{ error: { code: string } }>(stack, 'erin', 'GET', '/api/access?scop=x');
    expect(unknown.status).toBe(400);
  });
});
