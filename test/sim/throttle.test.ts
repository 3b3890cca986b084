/**
 * ARM's token buckets in the simulator, through the real @azure/arm-authorization client: the
 * remaining-budget headers, 429 with Retry-After when a bucket is empty, one bucket per
 * subscription, caller and kind, and refill at the configured rate (a virtual clock: no waiting).
 */
import { AuthorizationManagementClient } from '@azure/arm-authorization';
import { createHttpHeaders, createPipelineRequest } from '@azure/core-rest-pipeline';
import { generateLocalTls } from '../../dev/tls';
import { simCredential, startSimulator, type Simulator } from '../../dev/sim';
import { LOCAL_SUBSCRIPTION_ID, PEOPLE, SUBSCRIPTION_SCOPE, TRAINING_SUBSCRIPTION_SCOPE } from '../../dev/tenant';

let sim: Simulator;
let cert: string;
let clock = 0;

beforeAll(async () => {
  const tls = await generateLocalTls();
  cert = tls.cert;
  sim = await startSimulator({
    tls,
    throttleClock: () => clock,
    knobs: { armThrottle: { reads: { burst: 3, perSecond: 1 }, writes: { burst: 2, perSecond: 1 }, deletes: { burst: 2, perSecond: 1 } } },
  });
});

afterAll(async () => {
  await sim.stop();
});

function client(objectId: string): AuthorizationManagementClient {
  // No retries: the test looks at each answer.
  return new AuthorizationManagementClient(simCredential(objectId), LOCAL_SUBSCRIPTION_ID, { endpoint: sim.url, tlsOptions: { ca: cert }, retryOptions: { maxRetries: 0 } });
}

async function get(c: AuthorizationManagementClient, scope: string) {
  const res = await c.sendRequest(createPipelineRequest({ url: `${sim.url}${scope}/providers/Microsoft.Authorization/roleAssignments?api-version=2022-04-01`, method: 'GET' }));
  return { status: res.status, remaining: res.headers.get('x-ms-ratelimit-remaining-subscription-reads'), retryAfter: res.headers.get('retry-after') };
}

it('counts down the read budget per subscription and caller, answers 429 with Retry-After when empty, and refills', async () => {
  const am = client(PEOPLE.accessManager);
  expect(await get(am, SUBSCRIPTION_SCOPE)).toMatchObject({ status: 200, remaining: '2' });
  expect(await get(am, SUBSCRIPTION_SCOPE)).toMatchObject({ status: 200, remaining: '1' });
  expect(await get(am, SUBSCRIPTION_SCOPE)).toMatchObject({ status: 200, remaining: '0' });
  const throttledBefore = sim.throttle.throttled.reads;
  expect(await get(am, SUBSCRIPTION_SCOPE)).toEqual({ status: 429, remaining: '0', retryAfter: '1' });
  expect(sim.throttle.throttled.reads - throttledBefore).toBe(1);
  // Another subscription and another caller have buckets of their own.
  expect(await get(am, TRAINING_SUBSCRIPTION_SCOPE)).toMatchObject({ status: 200, remaining: '2' });
  expect(await get(client(PEOPLE.dave), SUBSCRIPTION_SCOPE)).toMatchObject({ status: 200, remaining: '2' });
  // One second later one token is back.
  clock += 1000;
  expect(await get(am, SUBSCRIPTION_SCOPE)).toMatchObject({ status: 200, remaining: '0' });
});

it('writes and deletes spend their own buckets', async () => {
  const dave = client(PEOPLE.dave);
  const url = `${sim.url}${SUBSCRIPTION_SCOPE}/resourceGroups/rg-nope/providers/Microsoft.Authorization/roleAssignments/00000000-0000-4000-8000-0000000000ff?api-version=2022-04-01`;
  const del = await dave.sendRequest(createPipelineRequest({ url, method: 'DELETE' }));
  expect(del.headers.get('x-ms-ratelimit-remaining-subscription-deletes')).toBe('1');
  const put = await dave.sendRequest(createPipelineRequest({ url, method: 'PUT', body: '{}', headers: createHttpHeaders({ 'content-type': 'application/json' }) }));
  expect(put.headers.get('x-ms-ratelimit-remaining-subscription-writes')).toBe('1');
});
