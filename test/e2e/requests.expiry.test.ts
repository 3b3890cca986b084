/**
 * End to end over HTTP: the life of a grant after approval - expiry by the expireGrants timer
 * (with AccessManager's clock moved by hand), two grants sharing one role assignment, early
 * revoke, renewal of the same grant and the expiry warning. The simulator keeps real time;
 * only AccessManager's clock moves. Each test uses its own (principal, role, scope) triple.
 */
import type { LocalStack } from '../../dev/localStack';
import { ManualClock } from '../../shared/domain/clock';
import { RecordingNotifier } from '../../shared/adapters/recordingNotifier';
import { RG } from '../../dev/tenant';
import { as, assignmentsFor, auditOf, startTestStack, USERS, waitFor, type ApiClient, type ApiResponse, type GrantDto, type Page, type RequestDto } from './helpers';

const ROLE = {
  blobReader: '2a2b9908-6ea1-4ae2-8e65-a410df84e7d1',
  blobContributor: 'ba92f5b4-2d11-453d-a403-e96b0029c9fe',
  kvSecretsUser: '4633458b-17de-408a-b874-0445c86b69e6',
};
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

let stack: LocalStack;
const clock = new ManualClock(new Date('2026-03-02T08:00:00.000Z'));
const notifier = new RecordingNotifier();
let alice: ApiClient, bob: ApiClient, carol: ApiClient, erin: ApiClient, dave: ApiClient, mallory: ApiClient;

beforeAll(async () => {
  stack = await startTestStack({ clock, notifier });
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

interface Granted {
  requestId: string;
  grantId: string;
  grant: GrantDto;
}

/** Requests, has every approver approve, and returns the grant as its holder lists it. */
async function grantFor(holder: ApiClient, body: { scope: string; role: string; duration: string }, approvers: ApiClient[]): Promise<Granted> {
  const created = await holder.post<RequestDto>('/api/requests', { justification: 'e2e expiry test', ...body });
  expect(created.status).toBe(201);
  let last: ApiResponse<RequestDto> | undefined;
  for (const approver of approvers) {
    last = await approver.post<RequestDto>(`/api/requests/${created.body.id}/approve`);
    expect(last.status).toBe(200);
  }
  expect(last?.body.status).toBe('approved');
  const grantId = last!.body.grantId!;
  const grant = await grantOf(holder, grantId);
  expect(grant.status).toBe('active');
  return { requestId: created.body.id, grantId, grant };
}

async function grantOf(holder: ApiClient, grantId: string): Promise<GrantDto> {
  const res = await holder.get<Page<GrantDto>>('/api/grants?limit=200');
  expect(res.status).toBe(200);
  const grant = res.body.items.find((g) => g.id === grantId);
  if (!grant) throw new Error(`grant ${grantId} is not in its holder's list`);
  return grant;
}

it('expireGrants ends a grant past its expiry: assignment gone, grant expired, audit grant.expired', async () => {
  const { requestId, grantId, grant } = await grantFor(alice, { scope: RG.weights, role: 'Storage Blob Data Reader', duration: 'PT1H' }, [bob, carol]);
  expect(grant.startsAt).toBe(clock.now().toISOString());
  expect(Date.parse(grant.expiresAt) - Date.parse(grant.startsAt)).toBe(HOUR);
  expect(assignmentsFor(stack, USERS.alice.id, ROLE.blobReader, RG.weights)).toHaveLength(1);

  // Not yet due: a run changes nothing.
  clock.advance(59 * MINUTE);
  await stack.host.runTimer('expireGrants');
  expect((await grantOf(alice, grantId)).status).toBe('active');
  expect(assignmentsFor(stack, USERS.alice.id, ROLE.blobReader, RG.weights)).toHaveLength(1);

  clock.advance(2 * MINUTE);
  // The Functions host's admin endpoint: accepted at once, run in the background.
  const accepted = await fetch(`${stack.url}/admin/functions/expireGrants`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"input":""}' });
  expect(accepted.status).toBe(202);
  // The holder's notification is the last step of ending a grant: once it is out, the run is done with it.
  await waitFor(() => notifier.sent.some((n) => n.kind === 'grant.expired' && n.grantId === grantId), 'the grant to expire');

  const ended = await grantOf(alice, grantId);
  expect(ended).toMatchObject({ status: 'expired', endReason: 'expired' });
  expect(ended.endedAt).toBe(clock.now().toISOString());
  expect(assignmentsFor(stack, USERS.alice.id, ROLE.blobReader, RG.weights)).toHaveLength(0);
  expect(stack.sim.state.assignments.get(grant.assignmentId)).toBeUndefined();
  const audit = await auditOf(stack, requestId);
  expect(audit.filter((r) => r.action === 'grant.expired')).toHaveLength(1);
  expect(audit.find((r) => r.action === 'grant.expired')).toMatchObject({ grantId });
  expect(notifier.sent.filter((n) => n.kind === 'grant.expired' && n.grantId === grantId)).toHaveLength(1);

  // Running again is harmless.
  await stack.host.runTimer('expireGrants');
  expect((await auditOf(stack, requestId)).filter((r) => r.action === 'grant.expired')).toHaveLength(1);
});

it('two grants covering the same (principal, role, scope): the first ending does not remove the assignment the second needs', async () => {
  const target = { scope: RG.research, role: 'Storage Blob Data Contributor' };
  const short = await grantFor(dave, { ...target, duration: 'PT1H' }, [bob]);
  const long = await grantFor(dave, { ...target, duration: 'PT3H' }, [carol]);
  // Azure holds one assignment per triple: the second grant rides on the first one's.
  const live = assignmentsFor(stack, USERS.dave.id, ROLE.blobContributor, RG.research);
  expect(live).toHaveLength(1);
  expect(long.grant.assignmentId.toLowerCase()).toBe(short.grant.assignmentId.toLowerCase());

  clock.advance(HOUR + MINUTE);
  await stack.host.runTimer('expireGrants');
  expect((await grantOf(dave, short.grantId)).status).toBe('expired');
  expect((await grantOf(dave, long.grantId)).status).toBe('active');
  expect(assignmentsFor(stack, USERS.dave.id, ROLE.blobContributor, RG.research)).toHaveLength(1);

  clock.advance(2 * HOUR);
  await stack.host.runTimer('expireGrants');
  expect((await grantOf(dave, long.grantId)).status).toBe('expired');
  expect(assignmentsFor(stack, USERS.dave.id, ROLE.blobContributor, RG.research)).toHaveLength(0);
});

it('revokeGrant by the holder ends it early; others cannot see it', async () => {
  const { requestId, grantId } = await grantFor(mallory, { scope: RG.research, role: 'Key Vault Secrets User', duration: 'PT4H' }, [erin]);
  expect(assignmentsFor(stack, USERS.mallory.id, ROLE.kvSecretsUser, RG.research)).toHaveLength(1);

  const byOther = await bob.post<GrantDto>(`/api/grants/${grantId}/revoke`, { reason: 'not mine to end' });
  expect(byOther.status).toBe(404);
  expect(byOther.body.error?.code).toBe('GrantNotFound');
  expect(assignmentsFor(stack, USERS.mallory.id, ROLE.kvSecretsUser, RG.research)).toHaveLength(1);

  const noReason = await mallory.post<GrantDto>(`/api/grants/${grantId}/revoke`, {});
  expect(noReason.status).toBe(400);

  const revoked = await mallory.post<GrantDto>(`/api/grants/${grantId}/revoke`, { reason: 'done early' });
  expect(revoked.status).toBe(200);
  expect(revoked.body).toMatchObject({ id: grantId, status: 'revoked', endReason: 'revoked' });
  expect(revoked.body).not.toHaveProperty('pendingRemoval');
  expect(assignmentsFor(stack, USERS.mallory.id, ROLE.kvSecretsUser, RG.research)).toHaveLength(0);
  expect((await grantOf(mallory, grantId)).status).toBe('revoked');
  expect((await auditOf(stack, requestId)).filter((r) => r.action === 'grant.revoked')).toHaveLength(1);

  // Revoking again answers the ended grant, and the expiry timer leaves it alone.
  const again = await mallory.post<GrantDto>(`/api/grants/${grantId}/revoke`, { reason: 'twice' });
  expect(again.status).toBe(200);
  expect(again.body.status).toBe('revoked');
  clock.advance(5 * HOUR);
  await stack.host.runTimer('expireGrants');
  expect((await grantOf(mallory, grantId)).status).toBe('revoked');
});

it('renewal: a linked request that, approved, extends the same grant on the same assignment', async () => {
  const original = await grantFor(bob, { scope: RG.weights, role: 'Storage Blob Data Reader', duration: 'PT2H' }, [carol, erin]);
  const warnings = () => notifier.sent.filter((n) => n.kind === 'grant.expiring' && n.grantId === original.grantId);
  // Ten minutes before the end the holder is warned, and renews.
  clock.advance(110 * MINUTE);
  await stack.host.runTimer('expireGrants');
  expect(warnings()).toHaveLength(1);

  expect((await carol.post<RequestDto>(`/api/grants/${original.grantId}/renew`, { duration: 'PT4H', justification: 'not hers' })).status).toBe(404);
  const tooLong = await bob.post<RequestDto>(`/api/grants/${original.grantId}/renew`, { duration: 'PT9H', justification: 'more' });
  expect(tooLong.status).toBe(400);
  expect(tooLong.body.error?.code).toBe('DurationTooLong');

  const renewal = await bob.post<RequestDto>(`/api/grants/${original.grantId}/renew`, { duration: 'PT4H', justification: 'the eval needs more time' });
  expect(renewal.status).toBe(201);
  expect(renewal.body).toMatchObject({ status: 'pending', renewsGrantId: original.grantId, requiredApprovals: 2, principalId: USERS.bob.id });
  expect(renewal.body.id).not.toBe(original.requestId);

  expect((await carol.post<RequestDto>(`/api/requests/${renewal.body.id}/approve`)).status).toBe(200);
  const approved = await erin.post<RequestDto>(`/api/requests/${renewal.body.id}/approve`);
  expect(approved.status).toBe(200);
  expect(approved.body).toMatchObject({ status: 'approved', grantId: original.grantId });

  const extended = await grantOf(bob, original.grantId);
  expect(extended).toMatchObject({ status: 'active', startsAt: original.grant.startsAt, assignmentId: original.grant.assignmentId });
  expect(extended.expiresAt).toBe(new Date(clock.now().getTime() + 4 * HOUR).toISOString());
  expect(assignmentsFor(stack, USERS.bob.id, ROLE.blobReader, RG.weights)).toHaveLength(1);
  const bobsGrants = (await bob.get<Page<GrantDto>>('/api/grants?status=active')).body.items.filter((g: { scope: string }) => g.scope.toLowerCase() === RG.weights.toLowerCase());
  expect(bobsGrants).toHaveLength(1);

  const audit = await auditOf(stack, renewal.body.id);
  expect(audit.filter((r) => r.action === 'grant.renewed')).toHaveLength(1);
  expect(audit.filter((r) => r.action === 'grant.created')).toHaveLength(0);

  // The original expiry passes: the renewed grant and its assignment stay.
  clock.advance(HOUR);
  await stack.host.runTimer('expireGrants');
  expect((await grantOf(bob, original.grantId)).status).toBe('active');
  expect(assignmentsFor(stack, USERS.bob.id, ROLE.blobReader, RG.weights)).toHaveLength(1);

  // A renewed grant is warned again before its new expiry.
  clock.advance(2 * HOUR + 50 * MINUTE);
  await stack.host.runTimer('expireGrants');
  expect(warnings()).toHaveLength(2);
  expect((await grantOf(bob, original.grantId)).status).toBe('active');

  // Until the renewed expiry.
  clock.advance(11 * MINUTE);
  await stack.host.runTimer('expireGrants');
  expect((await grantOf(bob, original.grantId)).status).toBe('expired');
  expect(assignmentsFor(stack, USERS.bob.id, ROLE.blobReader, RG.weights)).toHaveLength(0);

  // An ended grant cannot be renewed.
  const late = await bob.post<RequestDto>(`/api/grants/${original.grantId}/renew`, { duration: 'PT1H', justification: 'late' });
  expect(late.status).toBe(409);
  expect(late.body.error?.code).toBe('GrantNotActive');
});

it('warns the holder once within 15 minutes of expiry, even when the timer runs twice', async () => {
  const { grantId } = await grantFor(carol, { scope: RG.sandbox, role: 'Storage Blob Data Contributor', duration: 'PT1H' }, [bob]);
  const warnings = () => notifier.sent.filter((n) => n.kind === 'grant.expiring' && n.grantId === grantId);

  clock.advance(30 * MINUTE);
  await stack.host.runTimer('expireGrants');
  expect(warnings()).toHaveLength(0);

  clock.advance(20 * MINUTE);
  await stack.host.runTimer('expireGrants');
  await stack.host.runTimer('expireGrants');
  expect(warnings()).toHaveLength(1);
  expect(warnings()[0]!.recipients).toEqual([USERS.carol.id]);
  expect((await grantOf(carol, grantId)).status).toBe('active');

  clock.advance(5 * MINUTE);
  await stack.host.runTimer('expireGrants');
  expect(warnings()).toHaveLength(1);
});

it('a renewal approved after its grant ended fails cleanly: no assignment comes back', async () => {
  const original = await grantFor(alice, { scope: RG.research, role: 'Key Vault Secrets User', duration: 'PT1H' }, [erin]);
  const renewal = await alice.post<RequestDto>(`/api/grants/${original.grantId}/renew`, { duration: 'PT2H', justification: 'a bit longer' });
  expect(renewal.status).toBe(201);

  clock.advance(HOUR + MINUTE);
  await stack.host.runTimer('expireGrants');
  expect((await grantOf(alice, original.grantId)).status).toBe('expired');
  expect(assignmentsFor(stack, USERS.alice.id, ROLE.kvSecretsUser, RG.research)).toHaveLength(0);

  const late = await erin.post<RequestDto>(`/api/requests/${renewal.body.id}/approve`);
  expect(late.status).toBe(200);
  expect(late.body).toMatchObject({ status: 'failed', grantId: original.grantId });
  expect(late.body.failureReason).toContain(original.grantId);
  expect((await grantOf(alice, original.grantId)).status).toBe('expired');
  expect(assignmentsFor(stack, USERS.alice.id, ROLE.kvSecretsUser, RG.research)).toHaveLength(0);
  const actions = (await auditOf(stack, renewal.body.id)).map((r) => r.action);
  expect(actions).toContain('request.failed');
  expect(actions).not.toContain('grant.renewed');
});

it('catches up after missed runs: every grant past its expiry ends in one run', async () => {
  const granted = [
    await grantFor(alice, { scope: RG.sandbox, role: 'Storage Blob Data Contributor', duration: 'PT10M' }, [bob]),
    await grantFor(dave, { scope: RG.sandbox, role: 'Storage Blob Data Contributor', duration: 'PT20M' }, [bob]),
    await grantFor(mallory, { scope: RG.sandbox, role: 'Storage Blob Data Contributor', duration: 'PT30M' }, [carol]),
  ];
  clock.advance(3 * HOUR);
  await stack.host.runTimer('expireGrants');
  for (const [who, g] of [[alice, granted[0]!], [dave, granted[1]!], [mallory, granted[2]!]] as const) {
    expect((await grantOf(who, g.grantId)).status).toBe('expired');
  }
  for (const user of [USERS.alice, USERS.dave, USERS.mallory]) expect(assignmentsFor(stack, user.id, ROLE.blobContributor, RG.sandbox)).toHaveLength(0);
});

it('a pending request times out after the policy TTL: decisions get 409 RequestTimedOut, the timer records it', async () => {
  const created = await alice.post<RequestDto>('/api/requests', { scope: RG.weights, role: 'Storage Blob Data Reader', duration: 'PT1H', justification: 'will time out' });
  expect(created.status).toBe(201);
  const id: string = created.body.id;
  expect(Date.parse(created.body.expiresAt) - clock.now().getTime()).toBe(24 * HOUR);

  clock.advance(24 * HOUR + MINUTE);
  expect((await alice.get<RequestDto>(`/api/requests/${id}`)).body.status).toBe('timedOut');
  const late = await bob.post<RequestDto>(`/api/requests/${id}/approve`);
  expect(late.status).toBe(409);
  expect(late.body.error?.code).toBe('RequestTimedOut');
  await stack.host.runTimer('expireGrants');
  const actions = (await auditOf(stack, id)).map((r) => r.action);
  expect(actions.filter((a) => a === 'request.timedOut')).toHaveLength(1);
  const stored = (await stack.containers.requests.item(id, id).read()).resource;
  expect(stored.status).toBe('timedOut');
  expect(assignmentsFor(stack, USERS.alice.id, ROLE.blobReader, RG.weights)).toHaveLength(0);
});

describe('ARM failing while access is taken away', () => {
  let warnings: jest.SpyInstance;
  beforeEach(() => {
    warnings = jest.spyOn(console, 'warn').mockImplementation(() => undefined);
    stack.sim.knobs.armFailureStatus = 429;
    stack.sim.knobs.retryAfterSeconds = 0;
  });
  afterEach(() => {
    stack.sim.knobs.armFailureRate = 0;
    warnings.mockRestore();
  });

  it('expiry: the grant ends at once, the assignment goes on the next run after ARM is back', async () => {
    const { requestId, grantId } = await grantFor(dave, { scope: RG.sandbox, role: 'Storage Blob Data Contributor', duration: 'PT30M' }, [bob]);
    clock.advance(31 * MINUTE);
    stack.sim.knobs.armFailureRate = 1;
    await stack.host.runTimer('expireGrants');
    expect((await grantOf(dave, grantId)).status).toBe('expired');
    expect(assignmentsFor(stack, USERS.dave.id, ROLE.blobContributor, RG.sandbox)).toHaveLength(1);

    stack.sim.knobs.armFailureRate = 0;
    await stack.host.runTimer('expireGrants');
    expect(assignmentsFor(stack, USERS.dave.id, ROLE.blobContributor, RG.sandbox)).toHaveLength(0);
    expect((await auditOf(stack, requestId)).filter((r) => r.action === 'grant.expired')).toHaveLength(1);
    await stack.host.runTimer('expireGrants');
    expect((await auditOf(stack, requestId)).filter((r) => r.action === 'grant.expired')).toHaveLength(1);
  });

  it('revoke: a 503 the holder may retry; the retry removes the assignment', async () => {
    const { requestId, grantId } = await grantFor(mallory, { scope: RG.sandbox, role: 'Storage Blob Data Contributor', duration: 'PT30M' }, [carol]);
    stack.sim.knobs.armFailureRate = 1;
    const failed = await mallory.post<GrantDto>(`/api/grants/${grantId}/revoke`, { reason: 'done' });
    expect(failed.status).toBe(503);
    expect(failed.body.error?.code).toMatch(/^[A-Z][A-Za-z0-9]*$/);
    expect(assignmentsFor(stack, USERS.mallory.id, ROLE.blobContributor, RG.sandbox)).toHaveLength(1);

    stack.sim.knobs.armFailureRate = 0;
    const retried = await mallory.post<GrantDto>(`/api/grants/${grantId}/revoke`, { reason: 'done' });
    expect(retried.status).toBe(200);
    expect(retried.body.status).toBe('revoked');
    expect(assignmentsFor(stack, USERS.mallory.id, ROLE.blobContributor, RG.sandbox)).toHaveLength(0);
    expect((await auditOf(stack, requestId)).filter((r) => r.action === 'grant.revoked')).toHaveLength(1);
  });
});
