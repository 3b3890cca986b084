/** GET /api/health: anonymous, reports mode and reachability of the store and ARM, and nothing an attacker could use. */
import { startWorld, type World } from '../fakes/world';

let world: World;
beforeAll(async () => {
  world = await startWorld();
});

test('ok with both dependencies reachable, without identity', async () => {
  const res = await world.call<Record<string, unknown>>('GET', '/api/health');
  expect(res.status).toBe(200);
  expect(res.body).toMatchObject({ status: 'ok', mode: 'local', store: { ok: true }, arm: { ok: true }, policies: 4 });
  // Which scopes are only audited is for admins, not for anyone who can reach the endpoint.
  expect(JSON.stringify(res.body)).not.toMatch(/sandbox|audit/);
});

test('degraded (503) and says which dependency when ARM fails', async () => {
  world.arm.failing.add('listForScope');
  try {
    const res = await world.call('GET', '/api/health');
    expect(res.status).toBe(503);
    expect(res.body).toMatchObject({ status: 'degraded', store: { ok: true }, arm: { ok: false } });
  } finally {
    world.arm.failing.clear();
  }
});
