/**
 * GET /api/health: anonymous; `status` ok or degraded with the problems (always HTTP 200 when the
 * app answers: monitor `status`), and nothing an attacker could use.
 */
import { startWorld, type World } from '../fakes/world';
import { APP_ASSIGNMENT_NAME, SUBSCRIPTION_SCOPE } from '../../dev/tenant';
import { roleAssignmentId } from '../../shared/domain/armIds';

let world: World;
beforeAll(async () => {
  world = await startWorld();
});

test('ok with both dependencies reachable and AccessManager holding its permission, without identity', async () => {
  const res = await world.call<Record<string, unknown>>('GET', '/api/health');
  expect(res.status).toBe(200);
  expect(res.body).toMatchObject({ status: 'ok', problems: [], mode: 'local', store: { ok: true }, arm: { ok: true }, policies: 4, selfAccess: { ok: true }, trippedBreakers: [] });
  // Which scopes are only audited is for admins, not for anyone who can reach the endpoint.
  expect(JSON.stringify(res.body)).not.toMatch(/sandbox|audit/);
});

test('degraded (still 200) and says which dependency when ARM fails', async () => {
  world.arm.failing.add('permissionsAt');
  try {
    const res = await world.call('GET', '/api/health');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ status: 'degraded', problems: [{ code: 'ArmUnavailable' }], store: { ok: true }, arm: { ok: false } });
  } finally {
    world.arm.failing.clear();
  }
});

test('degraded when AccessManager lacks its permission: an empty answer is not "ok"', async () => {
  const own = world.sim.assignments.delete(roleAssignmentId(SUBSCRIPTION_SCOPE, APP_ASSIGNMENT_NAME))!;
  try {
    // Past the reuse window of the last permission check.
    world.clock.advance(60_000);
    const res = await world.call<{ problems: Array<{ code: string }>; selfAccess: { missing: unknown[] } }>('GET', '/api/health');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ status: 'degraded', problems: [{ code: 'SelfAccessLost' }] });
    expect(res.body.selfAccess.missing.length).toBe(4);
    expect(world.audit.records.filter((r) => r.action === 'enforcement.selfAccessLost')).toHaveLength(1);
  } finally {
    world.sim.assignments.put(own);
  }
});

test('degraded with the tripped policies when a breaker is tripped', async () => {
  const policy = world.deps.policies.byId('model-weights')!;
  for (let i = 0; i <= policy.breaker.maxRevocations; i++) await world.breakers.count(policy, `k${i}`, world.clock.now());
  const res = await world.call<{ trippedBreakers: Array<{ policyId: string }>; problems: Array<{ code: string; message: string }> }>('GET', '/api/health');
  expect(res.body).toMatchObject({ status: 'degraded', trippedBreakers: [{ policyId: 'model-weights' }] });
  expect(res.body.problems).toEqual(expect.arrayContaining([expect.objectContaining({ code: 'BreakerTripped', message: expect.stringContaining('model-weights') })]));
});
