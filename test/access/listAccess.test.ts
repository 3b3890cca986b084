/**
 * GET /api/access through the registration table in-process, over the seeded tenant's ARM and
 * directory (the simulator's model) and in-memory grants: the live view after real approvals and
 * an out-of-band write.
 */
import type { HttpMethod } from '@azure/functions';
import type { AccessItem } from '../../shared/domain/access/accessView';
import { APP_ASSIGNMENT_NAME, BREAKGLASS_ASSIGNMENT_NAME, DAVE_BASELINE_ASSIGNMENT_NAME, PEOPLE, RG, SUBSCRIPTION_SCOPE } from '../../dev/tenant';
import { LOCAL_USER, type LocalLogin } from '../../dev/localUsers';
import { startWorld, type World } from '../fakes/world';

let world: World;

function apiAs<T = Record<string, unknown>>(user: LocalLogin, method: HttpMethod, path: string, body?: unknown) {
  return world.call<T>(method, path, { as: LOCAL_USER[user], ...(body !== undefined ? { body } : {}) });
}

async function approvedRequest(requester: LocalLogin, input: { scope: string; role: string; duration: string }, approvers: LocalLogin[]) {
  const created = await apiAs<{ id: string; status: string; grantId?: string }>(requester, 'POST', '/api/requests', { ...input, justification: 'access view test' });
  expect(created.status).toBe(201);
  let last = created.body;
  for (const approver of approvers) last = (await apiAs<typeof last>(approver, 'POST', `/api/requests/${created.body.id}/approve`, {})).body;
  return last;
}

let aliceRequest: { id: string; status: string; grantId?: string };
let sandboxAssignmentId: string;
let items: AccessItem[];

const byName = (name: string) => items.find((i) => i.assignmentId.toLowerCase().endsWith(`/${name.toLowerCase()}`));

beforeAll(async () => {
  world = await startWorld();
  aliceRequest = await approvedRequest('alice', { scope: RG.weights, role: 'Storage Blob Data Reader', duration: 'PT8H' }, ['bob', 'carol']);
  sandboxAssignmentId = world.sim.seedAssignment({ scope: RG.sandbox, principalId: PEOPLE.mallory, role: 'Storage Blob Data Contributor' }).id;
  const answer = await apiAs<{ items: AccessItem[] }>('erin', 'GET', '/api/access');
  expect(answer.status).toBe(200);
  items = answer.body.items;
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
    const answer = await apiAs<{ items: AccessItem[] }>('erin', 'GET', `/api/access?scope=${encodeURIComponent(RG.sandbox)}`);
    expect(answer.status).toBe(200);
    expect(answer.body.items.map((i) => i.assignmentId.toLowerCase())).toEqual([sandboxAssignmentId.toLowerCase()]);
  });

  test('a non-admin gets 403, a bad scope 400', async () => {
    const asAlice = await apiAs<{ error: { code: string } }>('alice', 'GET', '/api/access');
    expect(asAlice.status).toBe(403);
    expect(asAlice.body.error.code).toBe('AdminOnly');
    const bad = await apiAs<{ error: { code: string; message: string } }>('erin', 'GET', '/api/access?scope=rg-weights');
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toContain('ARM scope');
    const escaping = await apiAs<{ error: { code: string; message: string } }>('erin', 'GET', `/api/access?scope=${encodeURIComponent(`${RG.sandbox}/../rg-weights`)}`);
    expect(escaping.status).toBe(400);
    expect(escaping.body.error.code).toBe('InvalidScope');
    const unknown = await apiAs<{ error: { code: string } }>('erin', 'GET', '/api/access?scop=x');
    expect(unknown.status).toBe(400);
  });
});
