/**
 * What the portal relies on, end to end on the local stack: the page at `/` beside the API at
 * `/api`, a browser session (the local /.auth emulation) driving the API, cross-site changes
 * refused before anything is written, the requestable catalog, the admin's enforcement view,
 * and request lists that default to "mine and those I may approve".
 */
import type { LocalStack } from '../../dev/localStack';
import { RG } from '../../dev/tenant';
import { as, client, startTestStack, USERS, writeFootprint, type Page, type RequestDto } from './helpers';

let stack: LocalStack;
beforeAll(async () => {
  stack = await startTestStack();
});
afterAll(() => stack?.stop());

const weights = { scope: RG.weights, role: 'Storage Blob Data Reader', duration: 'PT8H', justification: 'evaluate checkpoint 42' };

/** Signs in through /.auth/login/aad as a browser would, and returns the session cookie. */
async function browserSession(upn: string): Promise<string> {
  const res = await fetch(`${stack.url}/.auth/login/aad?login_hint=${encodeURIComponent(upn)}&post_login_redirect_uri=%2F`, { redirect: 'manual' });
  expect(res.status).toBe(302);
  return res.headers.getSetCookie()[0]!.split(';')[0]!;
}

describe('one Function App: the portal at /, the API at /api', () => {
  test('pages get the HTML shell; API paths keep their JSON answers', async () => {
    const page = await fetch(`${stack.url}/approvals/abc`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(page.headers.get('x-frame-options')).toBe('DENY');
    const health = await fetch(`${stack.url}/api/health`);
    expect(health.headers.get('content-type')).toMatch(/application\/json/);
    const unknown = await fetch(`${stack.url}/api/not-a-route`);
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toMatchObject({ error: { code: 'NotFound' } });
    expect((await fetch(`${stack.url}/`, { method: 'HEAD' })).status).toBe(200);
  });
});

describe('a browser session', () => {
  test('the portal, signed in by cookie, creates a request with its header from its own origin', async () => {
    const cookie = await browserSession(USERS.alice.name);
    const portal = client(stack.url, { cookie, 'x-accessmanager-request': '1', origin: stack.url, 'sec-fetch-site': 'same-origin' });
    const created = await portal.post<RequestDto>('/api/requests', weights);
    expect(created.status).toBe(201);
    expect(created.body.requester).toEqual({ id: USERS.alice.id, name: USERS.alice.name });
  });

  test('a cross-site form post riding on the cookie is refused, and writes nothing', async () => {
    const cookie = await browserSession(USERS.alice.name);
    const before = await writeFootprint(stack);
    const form = new URLSearchParams(weights).toString();
    const attempts = [
      { cookie, origin: 'http://attacker.test', 'sec-fetch-site': 'cross-site', 'content-type': 'application/x-www-form-urlencoded' },
      // A page of another origin on the same site (another port of localhost): SameSite lets the cookie through.
      { cookie, origin: 'http://localhost:1', 'sec-fetch-site': 'same-site', 'content-type': 'text/plain' },
      // Same origin, but not the portal (no header): a form on a page of ours.
      { cookie, origin: stack.url, 'sec-fetch-site': 'same-origin', 'content-type': 'application/x-www-form-urlencoded' },
    ];
    for (const headers of attempts) {
      const res = await client(stack.url, headers).post<RequestDto>('/api/requests', headers['content-type'] === 'text/plain' ? JSON.stringify(weights) : form);
      expect(res.status).toBe(403);
      expect(res.body.error?.code).toBe('CrossSiteRequest');
    }
    expect(await writeFootprint(stack)).toEqual(before);
  });

  test('reads need no header: the session lists what the person may see', async () => {
    const cookie = await browserSession(USERS.bob.name);
    const res = await client(stack.url, { cookie }).get<Page<RequestDto>>('/api/requests?approver=me&status=pending');
    expect(res.status).toBe(200);
    expect(res.body.items.length).toBeGreaterThan(0);
  });
});

describe('GET /api/catalog', () => {
  test('every policy with its requestable roles and limits, widest scope first; nothing about approvers or modes', async () => {
    const res = await as(stack, USERS.mallory).get<{ items: Array<Record<string, unknown>> }>('/api/catalog');
    expect(res.status).toBe(200);
    expect(res.body.items.map((e) => e.policyId)).toEqual(['subscription-baseline', 'research', 'sandbox', 'model-weights']);
    const modelWeights = res.body.items[3]!;
    expect(modelWeights).toMatchObject({
      scope: RG.weights,
      kind: 'rigid',
      roles: [
        { roleName: 'Storage Blob Data Contributor', maxDuration: 'PT2H', approvals: 3, justificationRequired: true, approvalChannel: 'teams', renewable: true },
        { roleName: 'Storage Blob Data Reader', maxDuration: 'PT8H', approvals: 2, justificationRequired: true },
      ],
    });
    expect(res.body.items[1]).toMatchObject({ policyId: 'research', kind: 'flexible', exception: { approvals: 2, maxDuration: 'PT12H' } });
    const text = JSON.stringify(res.body);
    expect(text).not.toMatch(/approverGroups|groups|exemptions|"mode"|00000000-0000-4000-8000-0000000000(21|22)/);
  });

  test('needs a signed-in caller', async () => {
    expect((await client(stack.url, {}).get('/api/catalog')).status).toBe(401);
  });
});

describe('GET /api/enforcement', () => {
  test('admins see every policy’s mode and breaker; others are refused', async () => {
    const res = await as(stack, USERS.erin).get<{ items: Array<Record<string, unknown>> }>('/api/enforcement');
    expect(res.status).toBe(200);
    expect(res.body.items).toContainEqual({
      policyId: 'sandbox',
      scope: RG.sandbox,
      mode: 'audit',
      effectiveMode: 'audit',
      breaker: { maxRevocations: 20, window: 'PT5M', tripped: false, count: 0 },
    });
    const refused = await as(stack, USERS.alice).get('/api/enforcement');
    expect(refused.status).toBe(403);
  });
});

describe('listRequests defaults', () => {
  test('without filters, a person sees their own requests and those they may approve (never others)', async () => {
    const bobs = (await as(stack, USERS.bob).post<RequestDto>('/api/requests', { ...weights, justification: 'bob’s own' })).body;
    const alices = (await as(stack, USERS.alice).post<RequestDto>('/api/requests', weights)).body;
    const mallorys = (await as(stack, USERS.mallory).post<RequestDto>('/api/requests', { scope: RG.sandbox, role: 'Storage Blob Data Contributor', duration: 'PT1H', justification: 'x' })).body;
    const ids = async (path: string, who = USERS.bob) => (await as(stack, who).get<Page<RequestDto>>(path)).body.items.map((r) => r.id);

    const bobDefault = await ids('/api/requests?limit=200');
    expect(bobDefault).toEqual(expect.arrayContaining([bobs.id, alices.id, mallorys.id]));
    const malloryDefault = await ids('/api/requests?limit=200', USERS.mallory);
    expect(malloryDefault).toContain(mallorys.id);
    expect(malloryDefault).not.toContain(alices.id);

    // Both flags: the same union, also for an admin (whose no-flag default is everything).
    const erinBoth = await ids('/api/requests?mine=true&approver=me&limit=200', USERS.erin);
    expect(erinBoth).toEqual(expect.arrayContaining([bobs.id, alices.id]));
    const aliceBoth = await ids('/api/requests?mine=true&approver=me&limit=200', USERS.alice);
    expect(aliceBoth).toContain(alices.id);
    expect(aliceBoth).not.toContain(mallorys.id);
    // approver=me alone still never lists one's own.
    expect(await ids('/api/requests?approver=me&limit=200')).not.toContain(bobs.id);
  });
});
