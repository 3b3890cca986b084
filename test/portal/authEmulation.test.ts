/**
 * The local host's emulation of App Service authentication (/.auth/login/aad, /.auth/me,
 * /.auth/logout, the session cookie turned into principal headers), over real HTTP.
 */
import type { HttpRequest } from '@azure/functions';
import { AuthEmulation, escapeHtml, safeRedirectPath } from '../../dev/host/authEmulation';
import { startHost, type LocalHost } from '../../dev/host';
import { callerFromRequest, principalHeaders } from '../../shared/domain/caller';
import { LOCAL_USER, LOCAL_USERS } from '../../dev/localUsers';
import type { FunctionSpec } from '../../functions/types';

const whoami: FunctionSpec = {
  kind: 'http',
  name: 'whoami',
  route: 'api/whoami',
  methods: ['GET', 'POST'],
  handler: async (request: HttpRequest) => ({ jsonBody: { caller: callerFromRequest(request) ?? null } }),
};

let host: LocalHost;
let clock = Date.parse('2026-12-01T10:00:00Z');
beforeAll(async () => {
  host = await startHost({ port: 0, functions: [whoami], routePrefix: '', auth: new AuthEmulation({ users: LOCAL_USERS, sessionMs: 60_000, now: () => clock }) });
});
afterAll(() => host.stop());

const noFollow = (path: string, headers: Record<string, string> = {}) => fetch(`${host.url}${path}`, { redirect: 'manual', headers });

async function signIn(upn: string, redirect = '/grants'): Promise<string> {
  const res = await noFollow(`/.auth/login/aad?login_hint=${encodeURIComponent(upn)}&post_login_redirect_uri=${encodeURIComponent(redirect)}`);
  expect(res.status).toBe(302);
  const cookie = res.headers.getSetCookie()[0]!;
  expect(cookie).toMatch(/^AppServiceAuthSession=[A-Za-z0-9_-]{43}; Max-Age=60; Path=\/; HttpOnly; SameSite=Lax$/);
  return cookie.split(';')[0]!;
}

const callerWith = async (headers: Record<string, string>) => ((await (await noFollow('/api/whoami', headers)).json()) as { caller: { id: string; name: string; isAdmin: boolean } | null }).caller;

describe('/.auth/login/aad', () => {
  test('without login_hint: a page to pick a local user, no script, the redirect kept', async () => {
    const res = await noFollow('/.auth/login/aad?post_login_redirect_uri=%2Fapprovals%2Fabc');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-security-policy')).toMatch(/default-src 'none'/);
    expect(res.headers.get('content-security-policy')).not.toMatch(/script-src/);
    const html = await res.text();
    expect(html).not.toContain('<script');
    for (const u of LOCAL_USERS) expect(html).toContain(`value="${u.name}"`);
    expect(html).toContain('name="post_login_redirect_uri" value="/approvals/abc"');
  });

  test('with login_hint: signs in at once and goes back where the page was', async () => {
    const res = await noFollow('/.auth/login/aad?login_hint=bob%40contoso.test&post_login_redirect_uri=%2Fapprovals%2Fabc%3Fx%3D1');
    expect(res.status).toBe(302);
    expect(res.headers.get('location')).toBe('/approvals/abc?x=1');
  });

  test('never redirects off the site', async () => {
    for (const target of ['https://evil.test/', '//evil.test/x', '/\\evil.test', 'javascript:alert(1)', '/ok\r\nSet-Cookie: x=1']) {
      const res = await noFollow(`/.auth/login/aad?login_hint=alice%40contoso.test&post_login_redirect_uri=${encodeURIComponent(target)}`);
      expect(res.headers.get('location')).toBe('/');
    }
  });

  test('an unknown user is a 400 with the picker, the name escaped', async () => {
    const res = await noFollow(`/.auth/login/aad?login_hint=${encodeURIComponent('<img src=x>@contoso.test')}`);
    expect(res.status).toBe(400);
    const html = await res.text();
    expect(html).toContain('&lt;img src=x&gt;@contoso.test');
    expect(html).not.toContain('<img');
  });
});

describe('the session', () => {
  test('/.auth/me answers App Service’s shape; signed out it is 401', async () => {
    const cookie = await signIn(LOCAL_USER.erin.name);
    const me = await noFollow('/.auth/me', { cookie });
    expect(me.status).toBe(200);
    expect(await me.json()).toEqual([
      {
        provider_name: 'aad',
        user_id: 'erin@contoso.test',
        user_claims: expect.arrayContaining([
          { typ: 'http://schemas.microsoft.com/identity/claims/objectidentifier', val: LOCAL_USER.erin.id },
          { typ: 'roles', val: 'AccessManager.Admin' },
        ]),
      },
    ]);
    expect((await noFollow('/.auth/me')).status).toBe(401);
  });

  test('the cookie becomes the principal headers, and wins over client-sent ones', async () => {
    const cookie = await signIn(LOCAL_USER.alice.name);
    expect(await callerWith({ cookie })).toMatchObject({ id: LOCAL_USER.alice.id, name: 'alice@contoso.test', isAdmin: false });
    // A page trying to pass as erin while carrying alice's session is alice.
    expect(await callerWith({ cookie, ...principalHeaders(LOCAL_USER.erin) })).toMatchObject({ id: LOCAL_USER.alice.id });
  });

  test('an unknown or expired session means no identity at all, whatever headers come with it', async () => {
    expect(await callerWith({ cookie: 'AppServiceAuthSession=forged', ...principalHeaders(LOCAL_USER.erin) })).toBeNull();
    const cookie = await signIn(LOCAL_USER.carol.name);
    clock += 61_000;
    expect(await callerWith({ cookie })).toBeNull();
    expect((await noFollow('/.auth/me', { cookie })).status).toBe(401);
  });

  test('without the cookie, local clients still name themselves with principal headers (CLI, tests)', async () => {
    expect(await callerWith(principalHeaders(LOCAL_USER.dave))).toMatchObject({ id: LOCAL_USER.dave.id });
  });

  test('/.auth/logout ends the session and clears the cookie', async () => {
    const cookie = await signIn(LOCAL_USER.bob.name);
    const res = await noFollow('/.auth/logout?post_logout_redirect_uri=%2F', { cookie });
    expect(res.status).toBe(302);
    expect(res.headers.get('location')).toBe('/');
    expect(res.headers.getSetCookie()[0]).toMatch(/^AppServiceAuthSession=; Max-Age=0/);
    expect(await callerWith({ cookie })).toBeNull();
  });

  test('other /.auth paths are 404 and other methods 405', async () => {
    expect((await noFollow('/.auth/refresh')).status).toBe(404);
    expect((await fetch(`${host.url}/.auth/login/aad`, { method: 'POST' })).status).toBe(405);
  });
});

test('a host without the emulation (azure mode) answers no /.auth at all', async () => {
  const plain = await startHost({ port: 0, functions: [whoami], routePrefix: '' });
  try {
    const res = await fetch(`${plain.url}/.auth/login/aad?login_hint=erin%40contoso.test`, { redirect: 'manual' });
    expect(res.status).toBe(404);
    expect(res.headers.getSetCookie()).toEqual([]);
    expect((await fetch(`${plain.url}/.auth/me`)).status).toBe(404);
  } finally {
    await plain.stop();
  }
});

test.each([
  [undefined, '/'],
  ['/requests/1?x=2#y', '/requests/1?x=2#y'],
  ['requests', '/'],
  ['//evil.test', '/'],
  ['/\\evil.test', '/'],
  ['/a\\b', '/'],
  ['/a\u0000', '/'],
])('safeRedirectPath(%j) = %j', (raw, expected) => expect(safeRedirectPath(raw)).toBe(expected));

test('escapeHtml', () => expect(escapeHtml(`<a href="x" onclick='y'>&</a>`)).toBe('&lt;a href=&quot;x&quot; onclick=&#39;y&#39;&gt;&amp;&lt;/a&gt;'));
