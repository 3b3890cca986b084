/** GET /api/health: anonymous, reports mode and reachability of the store and ARM, and nothing an attacker could use. */
import { startLocalStack, type LocalStack } from '../../dev/localStack';

let stack: LocalStack;
beforeAll(async () => {
  stack = await startLocalStack({ port: 0, simPort: 0, cosmosPort: 0 });
});
afterAll(async () => {
  await stack?.stop();
});

test('ok with both dependencies reachable, without identity', async () => {
  const res = await fetch(`${stack.url}/api/health`);
  expect(res.status).toBe(200);
  const body = (await res.json()) as Record<string, unknown>;
  expect(body).toMatchObject({ status: 'ok', problems: [], mode: 'local', store: { ok: true }, arm: { ok: true }, policies: 4, selfAccess: { ok: true }, trippedBreakers: [] });
  // Which scopes are only audited is for admins, not for anyone who can reach the endpoint.
  expect(JSON.stringify(body)).not.toMatch(/sandbox|audit/);
});

test('degraded (still 200: monitor the status, not the HTTP code) and says which dependency when ARM fails', async () => {
  stack.sim.knobs.armFailureRate = 1;
  stack.sim.knobs.armFailureStatus = 500;
  try {
    const res = await fetch(`${stack.url}/api/health`);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ status: 'degraded', problems: [{ code: 'ArmUnavailable' }], store: { ok: true }, arm: { ok: false } });
  } finally {
    stack.sim.knobs.armFailureRate = 0;
  }
});
