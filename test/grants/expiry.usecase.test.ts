/**
 * The expiry of a grant (expireGrant, run by the expireGrants timer) over fakes typed by the
 * ports: nothing is written before the work is done, so a crash before the grant's last write
 * leaves it due, and the next run finishes it under the same idempotency key; two runs at once
 * and a revoke racing the expiry each leave one end record.
 */
import { RG } from '../../dev/tenant';
import { LOCAL_USER, type LocalLogin } from '../../dev/localUsers';
import { runExpiry } from '../../shared/usecases/expiry';
import { expireGrant, endGrant } from '../../shared/usecases/grants';
import { startWorld, type World } from '../fakes/world';

const HOUR = 3_600_000;
let world: World;

async function grantFor(requester: LocalLogin): Promise<string> {
  const created = await world.call<{ id: string }>('POST', '/api/requests', {
    as: LOCAL_USER[requester],
    body: { scope: RG.weights, role: 'Storage Blob Data Reader', duration: 'PT1H', justification: 'expiry test' },
  });
  expect(created.status).toBe(201);
  let last: { status?: string; grantId?: string } = {};
  for (const approver of ['bob', 'carol'] as const) {
    last = (await world.call<typeof last>('POST', `/api/requests/${created.body.id}/approve`, { as: LOCAL_USER[approver], body: {} })).body;
  }
  expect(last).toMatchObject({ status: 'approved', grantId: expect.any(String) });
  return last.grantId!;
}

const endRecords = (grantId: string) => world.audit.records.filter((r) => r.grantId === grantId && /^grant\.(expired|revoked)$/.test(r.action));
const assignmentExists = (assignmentId: string) => world.sim.assignments.has(assignmentId);

beforeEach(async () => {
  world = await startWorld();
});

test('a crash before the last write leaves the grant due: the next run ends it, with one record', async () => {
  const grantId = await grantFor('alice');
  const { assignmentId } = (await world.grants.get(grantId))!;
  expect(assignmentExists(assignmentId)).toBe(true);
  world.clock.advance(2 * HOUR);
  const update = jest.spyOn(world.deps.grants, 'update').mockRejectedValueOnce(new Error('the process died here'));
  const first = await runExpiry(world.deps);
  expect(first.failures).toBe(1);
  expect(update).toHaveBeenCalledTimes(1);
  update.mockRestore();
  // Access is gone and recorded; the grant still says active, so it is still due.
  expect(assignmentExists(assignmentId)).toBe(false);
  expect((await world.grants.get(grantId))!.status).toBe('active');
  expect(endRecords(grantId).map((r) => r.action)).toEqual(['grant.expired']);

  const second = await runExpiry(world.deps);
  expect(second).toMatchObject({ expired: 1, failures: 0 });
  expect(await world.grants.get(grantId)).toMatchObject({ status: 'expired', endReason: 'expired', pendingRemoval: false, endNoticeSentAt: expect.any(String) });
  expect(endRecords(grantId)).toHaveLength(1);
  // A crash between the notice and the last write may repeat the notice, never the record.
  expect(world.notifier.sent.filter((n) => n.kind === 'grant.expired' && n.grantId === grantId).length).toBeLessThanOrEqual(2);
});

test('two runs at once (two instances): one end, one record', async () => {
  const grantId = await grantFor('alice');
  world.clock.advance(2 * HOUR);
  const reports = await Promise.all([runExpiry(world.deps), runExpiry(world.deps)]);
  expect(reports.reduce((n, r) => n + r.expired, 0)).toBeGreaterThanOrEqual(1);
  expect(await world.grants.get(grantId)).toMatchObject({ status: 'expired', pendingRemoval: false });
  expect(endRecords(grantId)).toHaveLength(1);
  await runExpiry(world.deps);
  expect(endRecords(grantId)).toHaveLength(1);
});

test('a revoke racing the expiry: the grant ends once, with one end record', async () => {
  const grantId = await grantFor('alice');
  world.clock.advance(2 * HOUR);
  // The timer listed the grant while it was active; the holder gives it back before the timer gets to it.
  const listed = (await world.grants.get(grantId))!;
  await endGrant(world.deps, grantId, 'revoked', { id: LOCAL_USER.alice.id, name: LOCAL_USER.alice.name }, 'done early');
  const after = await expireGrant(world.deps, { grant: listed }, { id: world.deps.appPrincipalId, name: 'AccessManager' });
  expect(after).toMatchObject({ status: 'revoked', endReason: 'revoked' });
  expect(endRecords(grantId).map((r) => r.action)).toEqual(['grant.revoked']);
  expect(assignmentExists(listed.assignmentId)).toBe(false);
});

test('a grant not yet due is left alone, and nothing is written', async () => {
  const grantId = await grantFor('alice');
  const listed = (await world.grants.get(grantId))!;
  const before = world.writes();
  expect(await expireGrant(world.deps, { grant: listed }, { id: world.deps.appPrincipalId })).toMatchObject({ status: 'active' });
  expect(world.writes()).toBe(before);
  expect(endRecords(grantId)).toHaveLength(0);
});
