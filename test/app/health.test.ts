/**
 * GET /api/health: anonymous; `status` ok or degraded with the problems (always HTTP 200 when the
 * app answers: monitor `status`), and nothing an attacker could use.
 */
import { startWorld, type World } from '../fakes/world';
import { APP_ASSIGNMENT_NAME, SUBSCRIPTION_SCOPE } from '../../dev/tenant';
import { roleAssignmentId } from '../../shared/domain/armIds';
import { ADMIN_ROLE } from '../../shared/domain/caller';

const ADMIN = { id: '00000000-0000-4000-8000-0000000000ad', name: 'admin@contoso.test', roles: [ADMIN_ROLE] };

let world: World;
beforeAll(async () => {
  world = await startWorld();
});

test('ok with both dependencies reachable and AccessManager holding its permission, without identity', async () => {
  const res = await world.call<Record<string, unknown>>('GET', '/api/health');
  expect(res.status).toBe(200);
  expect(res.body).toMatchObject({ status: 'ok', problems: [], mode: 'local', store: { ok: true }, arm: { ok: true }, policies: 4, selfAccess: { ok: true } });
  expect(res.body['trippedBreakers']).toBeUndefined();
  // Which scopes are only audited is for admins, not for anyone who can reach the endpoint.
  expect(JSON.stringify(res.body)).not.toMatch(/sandbox|audit/);
});

test('degraded (still 200) and says which dependency when ARM fails', async () => {
  world.arm.failing.add('permissionsAt');
  try {
    const res = await world.call('GET', '/api/health');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ status: 'degraded', problems: [{ code: 'ArmUnavailable' }], store: { ok: true }, arm: { ok: false } });
    // The error text is for admins.
    expect((res.body as { arm: { error?: string } }).arm.error).toBeUndefined();
    const admin = await world.call<{ arm: { error?: string } }>('GET', '/api/health', { as: ADMIN });
    expect(admin.body.arm.error).toBeTruthy();
  } finally {
    world.arm.failing.clear();
  }
});

test('degraded when AccessManager lacks its permission: an empty answer is not "ok"', async () => {
  const own = world.sim.assignments.delete(roleAssignmentId(SUBSCRIPTION_SCOPE, APP_ASSIGNMENT_NAME))!;
  try {
    // Past the reuse window of the last permission check.
    world.clock.advance(60_000);
    const res = await world.call<{ problems: Array<{ code: string }>; selfAccess: { missing: unknown[] } }>('GET', '/api/health', { as: ADMIN });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ status: 'degraded', problems: [{ code: 'SelfAccessLost' }] });
    expect(res.body.selfAccess.missing.length).toBe(4);
    expect(world.audit.records.filter((r) => r.action === 'enforcement.selfAccessLost')).toHaveLength(1);
    const anyone = await world.call<Record<string, unknown>>('GET', '/api/health');
    expect(anyone.body).toMatchObject({ status: 'degraded', problems: [{ code: 'SelfAccessLost', message: 'AccessManager lacks a permission it needs at a governed scope.' }], selfAccess: { ok: false } });
    expect(JSON.stringify(anyone.body)).not.toMatch(/subscriptions/);
  } finally {
    world.sim.assignments.put(own);
  }
});

test('degraded with the tripped policies when a breaker is tripped', async () => {
  const policy = world.deps.policies.byId('model-weights')!;
  for (let i = 0; i <= policy.breaker.maxRevocations; i++) await world.breakers.count(policy, `k${i}`, world.clock.now());
  const res = await world.call<{ trippedBreakers: Array<{ policyId: string }>; problems: Array<{ code: string; message: string }> }>('GET', '/api/health', { as: ADMIN });
  expect(res.body).toMatchObject({ status: 'degraded', trippedBreakers: [{ policyId: 'model-weights' }] });
  expect(res.body.problems).toEqual(expect.arrayContaining([expect.objectContaining({ code: 'BreakerTripped', message: expect.stringContaining('model-weights') })]));
});

test('degraded, with a count only, when another automation fights a guardrail', async () => {
  const resourceId = '/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/stfought';
  const until = new Date(world.clock.now().getTime() + 3_600_000).toISOString();
  await world.guardrails.states.update(resourceId, (state) => ({ ...state, properties: { allowBlobPublicAccess: { episode: 1, remediations: [], contestedUntil: until } } }));
  try {
    const res = await world.call<Record<string, unknown>>('GET', '/api/health');
    expect(res.body).toMatchObject({ status: 'degraded', contestedGuardrails: 1, problems: expect.arrayContaining([expect.objectContaining({ code: 'GuardrailContested' })]) });
    expect(JSON.stringify(res.body)).not.toContain('stfought');
  } finally {
    world.guardrails.states.docs.clear();
  }
});
