/**
 * End to end over HTTP: approvals racing each other (ETag compare-and-swap: exactly one grant
 * and one role assignment, no approval lost) and an ARM outage when the last approval lands
 * (the approval stands, the expireGrants timer finishes the grant exactly once).
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import type { LocalStack } from '../../dev/localStack';
import { runExpiry } from '../../shared/usecases/expiry';
import { RG } from '../../dev/tenant';
import { addDirectoryUsers, as, assignmentsFor, auditOf, copyPolicies, countDocuments, startTestStack, USERS, type ApiClient, type GrantDto, type Page, type RequestDto, type TestUser } from './helpers';

const READER_GUID = '2a2b9908-6ea1-4ae2-8e65-a410df84e7d1';

/** Seven extra approvers, listed by id in the test policy (bob, carol and erin come through weights-approvers). */
const EXTRA_APPROVERS: TestUser[] = Array.from({ length: 7 }, (_, i) => ({
  id: `00000000-0000-4000-8000-0000000001${String(i + 1).padStart(2, '0')}`,
  name: `approver${i + 1}@contoso.test`,
}));
const APPROVERS: TestUser[] = [USERS.bob, USERS.carol, USERS.erin, ...EXTRA_APPROVERS];

let stack: LocalStack;
let cleanupPolicies: () => Promise<void> = async () => undefined;

beforeAll(async () => {
  const policies = await copyPolicies();
  cleanupPolicies = policies.cleanup;
  const file = join(policies.dir, 'model-weights.yaml');
  const doc = parse(await readFile(file, 'utf8'));
  const reader = doc.roles.find((r: { role: string }) => r.role === 'Storage Blob Data Reader');
  reader.approvers.users = EXTRA_APPROVERS.map((u) => u.id);
  await writeFile(file, stringify(doc));

  stack = await startTestStack({ policiesDir: policies.dir });
  addDirectoryUsers(stack.sim.state.directory, EXTRA_APPROVERS);
  // As Teams would for new people: install the app for them so they get approval cards too.
  await stack.sim.teams.installForAllUsers(`${stack.url}/api/messages`);
});

afterAll(async () => {
  await stack?.stop();
  await cleanupPolicies();
});

async function newReaderRequest(requester: ApiClient): Promise<string> {
  const res = await requester.post<RequestDto>('/api/requests', { scope: RG.weights, role: 'Storage Blob Data Reader', duration: 'PT4H', justification: 'concurrency e2e' });
  expect(res.status).toBe(201);
  expect(res.body.requiredApprovals).toBe(2);
  return res.body.id;
}

describe('concurrent approvals', () => {
  it('the test tenant has 10 eligible approvers for rg-weights readers', async () => {
    const id = await newReaderRequest(as(stack, USERS.alice));
    const visible = await Promise.all(APPROVERS.map((u) => as(stack, u).get<RequestDto>(`/api/requests/${id}`)));
    expect(visible.map((r) => r.status)).toEqual(APPROVERS.map(() => 200));
    expect((await as(stack, USERS.alice).post<RequestDto>(`/api/requests/${id}/cancel`)).status).toBe(200);
  });

  // Three rounds, each a fresh request and principal, to give the race several chances to show.
  it.each([
    ['alice', USERS.alice],
    ['dave', USERS.dave],
    ['mallory', USERS.mallory],
  ])('10 approvers approving %s at once: exactly one grant and one role assignment, no approval lost', async (_name, requester) => {
    const id = await newReaderRequest(as(stack, requester));
    const answers = await Promise.all(APPROVERS.map((u) => as(stack, u).post<RequestDto>(`/api/requests/${id}/approve`, { comment: `from ${u.name}` })));

    for (const res of answers) {
      if (res.status === 200) expect(['pending', 'approved']).toContain(res.body.status);
      else expect({ status: res.status, code: res.body?.error?.code }).toEqual({ status: 409, code: 'RequestResolved' });
    }
    const accepted = APPROVERS.filter((_, i) => answers[i]!.status === 200);
    expect(accepted).toHaveLength(2);
    expect(answers.filter((r) => r.status === 200 && r.body.status === 'approved')).toHaveLength(1);

    const stored = (await as(stack, USERS.erin).get<RequestDto>(`/api/requests/${id}`)).body;
    expect(stored.status).toBe('approved');
    expect(stored.fulfilled).toBe(true);
    expect(stored.approvals.map((a: { approverId: string }) => a.approverId).sort()).toEqual(accepted.map((u) => u.id).sort());

    const grants = (await as(stack, USERS.erin).get<Page<GrantDto>>(`/api/grants?principalId=${requester.id}&limit=200`)).body.items;
    expect(grants.filter((g: { requestId: string }) => g.requestId === id)).toHaveLength(1);
    expect(grants.find((g) => g.requestId === id)?.id).toBe(stored.grantId);
    expect(assignmentsFor(stack, requester.id, READER_GUID, RG.weights)).toHaveLength(1);

    const audit = await auditOf(stack, id);
    expect(audit.filter((r) => r.action === 'grant.created')).toHaveLength(1);
    expect(audit.filter((r) => r.action === 'approval.recorded')).toHaveLength(2);
  });
});

/** The outage tests expect AccessManager to warn that a grant waits for the timer; keep those warnings out of the output. */
let warnings: jest.SpyInstance;
function expectFulfilmentWarnings(): void {
  expect(warnings.mock.calls.some(([line]) => /not finished yet/.test(String(line)))).toBe(true);
}

describe('decisions racing each other', () => {
  it('an approver double-clicking: one approval recorded, the other answered 409 AlreadyDecided', async () => {
    const id = await newReaderRequest(as(stack, USERS.alice));
    const bob = as(stack, USERS.bob);
    const answers = await Promise.all([bob.post<RequestDto>(`/api/requests/${id}/approve`), bob.post<RequestDto>(`/api/requests/${id}/approve`), bob.post<RequestDto>(`/api/requests/${id}/approve`)]);
    expect(answers.map((r) => r.status).sort()).toEqual([200, 409, 409]);
    for (const r of answers.filter((a) => a.status === 409)) expect(r.body.error?.code).toBe('AlreadyDecided');
    const stored = (await bob.get<RequestDto>(`/api/requests/${id}`)).body;
    expect(stored).toMatchObject({ status: 'pending' });
    expect(stored.approvals).toHaveLength(1);
    expect((await auditOf(stack, id)).filter((r) => r.action === 'approval.recorded')).toHaveLength(1);
    expect((await as(stack, USERS.alice).post(`/api/requests/${id}/cancel`)).status).toBe(200);
  });

  it.each([1, 2, 3])('approvals, a deny and a cancel at once (round %i): one consistent outcome', async () => {
    const requester = as(stack, USERS.dave);
    const id = await newReaderRequest(requester);
    const deciders = APPROVERS.slice(0, 6);
    const calls: Array<Promise<{ who: string; status: number; code?: string }>> = [
      ...deciders.map(async (u, i) => {
        const r = i === 2 ? await as(stack, u).post(`/api/requests/${id}/deny`, { reason: 'not now' }) : await as(stack, u).post(`/api/requests/${id}/approve`);
        return { who: `${i === 2 ? 'deny' : 'approve'}:${u.id}`, status: r.status, code: r.body.error?.code };
      }),
      requester.post(`/api/requests/${id}/cancel`).then((r) => ({ who: 'cancel', status: r.status, code: r.body.error?.code })),
    ];
    const answers = await Promise.all(calls);
    for (const a of answers) expect(a.status === 200 || (a.status === 409 && a.code === 'RequestResolved')).toBe(true);

    const stored = (await requester.get<RequestDto>(`/api/requests/${id}`)).body;
    const accepted = answers.filter((a) => a.status === 200 && a.who !== 'cancel').map((a) => a.who.split(':')[1]);
    expect(stored.approvals.map((a) => a.approverId).sort()).toEqual(accepted.sort());
    const cancelOk = answers.find((a) => a.who === 'cancel')!.status === 200;
    const denyOk = answers.some((a) => a.who.startsWith('deny') && a.status === 200);
    const grants = (await as(stack, USERS.erin).get<Page<GrantDto>>(`/api/grants?principalId=${USERS.dave.id}&limit=200`)).body.items.filter((g) => g.requestId === id);
    if (stored.status === 'cancelled') expect({ cancelOk, denyOk, grants: grants.length }).toEqual({ cancelOk: true, denyOk: false, grants: 0 });
    else if (stored.status === 'denied') expect({ cancelOk, denyOk, grants: grants.length }).toEqual({ cancelOk: false, denyOk: true, grants: 0 });
    else {
      expect(stored.status).toBe('approved');
      expect({ cancelOk, denyOk, grants: grants.length, approvals: stored.approvals.length }).toEqual({ cancelOk: false, denyOk: false, grants: 1, approvals: 2 });
    }
    // Whatever won, dave's access is exactly what the grants say.
    const activeForDave = (await as(stack, USERS.erin).get<Page<GrantDto>>(`/api/grants?principalId=${USERS.dave.id}&status=active&limit=200`)).body.items.filter(
      (g) => g.scope.toLowerCase() === RG.weights.toLowerCase() && g.roleDefinitionId.toLowerCase().endsWith(READER_GUID),
    );
    expect(assignmentsFor(stack, USERS.dave.id, READER_GUID, RG.weights)).toHaveLength(activeForDave.length > 0 ? 1 : 0);
  });
});

describe('ARM failing when the last approval lands', () => {
  beforeEach(() => {
    warnings = jest.spyOn(console, 'warn').mockImplementation(() => undefined);
  });
  afterEach(() => {
    stack.sim.knobs.armFailureRate = 0;
    warnings.mockRestore();
  });

  it('the approval stands (200 approved, grant pending); the timer finishes the grant exactly once', async () => {
    const requester = USERS.carol;
    // carol asks; bob's approval, the only one needed, meets an outage.
    const res = await as(stack, requester).post<RequestDto>('/api/requests', { scope: RG.research, role: 'Storage Blob Data Contributor', duration: 'PT2H', justification: 'outage e2e' });
    expect(res.status).toBe(201);
    expect(res.body.requiredApprovals).toBe(1);
    const id: string = res.body.id;
    const grantsBefore = await countDocuments(stack, 'grants');

    stack.sim.knobs.armFailureStatus = 500;
    stack.sim.knobs.armFailureRate = 1;
    const failuresBefore = stack.sim.state.stats.armInjectedFailures;
    const approved = await as(stack, USERS.bob).post<RequestDto>(`/api/requests/${id}/approve`);
    expect(approved.status).toBe(200);
    expect(approved.body).toMatchObject({ status: 'approved', fulfilled: false });
    expectFulfilmentWarnings();
    const grantId = approved.body.grantId!;
    expect(grantId).toBeDefined();
    expect(stack.sim.state.stats.armInjectedFailures).toBeGreaterThan(failuresBefore);
    expect(await countDocuments(stack, 'grants')).toBe(grantsBefore);
    expect(assignmentsFor(stack, requester.id, 'ba92f5b4-2d11-453d-a403-e96b0029c9fe', RG.research)).toHaveLength(0);
    expect((await as(stack, requester).get<Page<GrantDto>>('/api/grants')).body.items.some((g: { id: string }) => g.id === grantId)).toBe(false);

    // Still failing: the timer tries, fails, and leaves the backlog for the next run.
    await stack.host.runTimer('expireGrants');
    expect(await countDocuments(stack, 'grants')).toBe(grantsBefore);

    stack.sim.knobs.armFailureRate = 0;
    await stack.host.runTimer('expireGrants');
    const after = {
      grants: await countDocuments(stack, 'grants'),
      assignments: assignmentsFor(stack, requester.id, 'ba92f5b4-2d11-453d-a403-e96b0029c9fe', RG.research).map((a) => a.name),
      grant: (await as(stack, requester).get<Page<GrantDto>>('/api/grants')).body.items.find((g: { id: string }) => g.id === grantId),
      request: (await as(stack, requester).get<RequestDto>(`/api/requests/${id}`)).body,
      audit: (await auditOf(stack, id)).map((r) => r.action),
    };
    expect(after.grants).toBe(grantsBefore + 1);
    expect(after.assignments).toEqual([grantId]);
    expect(after.grant).toMatchObject({ status: 'active', requestId: id });
    expect(after.request).toMatchObject({ status: 'approved', fulfilled: true, grantId });
    expect(after.audit.filter((a) => a === 'grant.created')).toHaveLength(1);

    // Running again changes nothing.
    const armCallsBefore = stack.sim.state.stats.armRequests;
    await stack.host.runTimer('expireGrants');
    expect(await countDocuments(stack, 'grants')).toBe(after.grants);
    expect(assignmentsFor(stack, requester.id, 'ba92f5b4-2d11-453d-a403-e96b0029c9fe', RG.research).map((a) => a.name)).toEqual([grantId]);
    expect((await as(stack, requester).get<Page<GrantDto>>('/api/grants')).body.items.find((g: { id: string }) => g.id === grantId)).toEqual(after.grant);
    expect((await auditOf(stack, id)).map((r) => r.action)).toEqual(after.audit);
    expect(stack.sim.state.stats.armRequests).toBe(armCallsBefore);
  });
});

describe('two instances running expireGrants at once (scale-out)', () => {
  beforeEach(() => {
    warnings = jest.spyOn(console, 'warn').mockImplementation(() => undefined);
  });
  afterEach(() => {
    stack.sim.knobs.armFailureRate = 0;
    warnings.mockRestore();
  });

  it('finish an interrupted fulfilment exactly once', async () => {
    const res = await as(stack, USERS.alice).post<RequestDto>('/api/requests', { scope: RG.sandbox, role: 'Storage Blob Data Contributor', duration: 'PT1H', justification: 'scale-out e2e' });
    expect(res.status).toBe(201);
    stack.sim.knobs.armFailureStatus = 429;
    stack.sim.knobs.retryAfterSeconds = 0;
    stack.sim.knobs.armFailureRate = 1;
    const approved = await as(stack, USERS.bob).post<RequestDto>(`/api/requests/${res.body.id}/approve`);
    expect(approved.body).toMatchObject({ status: 'approved', fulfilled: false });
    expectFulfilmentWarnings();
    stack.sim.knobs.armFailureRate = 0;

    const reports = await Promise.all([runExpiry(stack.deps), runExpiry(stack.deps), runExpiry(stack.deps)]);
    expect(reports.reduce((n, r) => n + r.failures, 0)).toBe(0);
    expect(assignmentsFor(stack, USERS.alice.id, 'ba92f5b4-2d11-453d-a403-e96b0029c9fe', RG.sandbox).map((a) => a.name)).toEqual([approved.body.grantId]);
    const grants = (await as(stack, USERS.alice).get<Page<GrantDto>>('/api/grants?limit=200')).body.items.filter((g: { requestId: string }) => g.requestId === res.body.id);
    expect(grants).toHaveLength(1);
    const audit = (await auditOf(stack, res.body.id)).map((r) => r.action);
    expect(audit.filter((a) => a === 'grant.created')).toHaveLength(1);
  });
});
