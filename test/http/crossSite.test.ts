/** The cross-site rule for cookie-borne changes (functions/http/crossSite.ts), as a table. */
import { crossSiteRefusal, hasSessionCookie, PORTAL_REQUEST_HEADER } from '../../functions/http/crossSite';

const APP = 'https://am.example.net';
const COOKIE = 'AppServiceAuthSession=abc; other=1';

function check(method: string, headers: Record<string, string>, mode: 'local' | 'azure' = 'azure', publicBaseUrl = APP) {
  return crossSiteRefusal({ method, url: `${APP}/api/requests`, headers: new Headers(headers) }, { mode, publicBaseUrl })?.code;
}

describe('crossSiteRefusal', () => {
  test.each([
    ['a read is never refused', 'GET', { cookie: COOKIE, origin: 'https://evil.test' }, 'azure', undefined],
    ['the portal: cookie, its header, same origin', 'POST', { cookie: COOKIE, [PORTAL_REQUEST_HEADER]: '1', origin: APP, 'sec-fetch-site': 'same-origin' }, 'azure', undefined],
    ['the portal in an older browser (no Origin, no Sec-Fetch-Site)', 'POST', { cookie: COOKIE, [PORTAL_REQUEST_HEADER]: '1' }, 'azure', undefined],
    ['a cross-site form post (no header, foreign origin)', 'POST', { cookie: COOKIE, origin: 'https://evil.test', 'sec-fetch-site': 'cross-site' }, 'azure', 'CrossSiteRequest'],
    ['a same-site page on another origin, even with the header', 'POST', { cookie: COOKIE, [PORTAL_REQUEST_HEADER]: '1', origin: 'https://other.example.net', 'sec-fetch-site': 'same-site' }, 'azure', 'CrossSiteRequest'],
    ['a foreign Origin with the header (no Sec-Fetch-Site)', 'POST', { cookie: COOKIE, [PORTAL_REQUEST_HEADER]: '1', origin: 'https://evil.test' }, 'azure', 'CrossSiteRequest'],
    ['same origin but without the portal header (a form on a hijacked page of ours)', 'POST', { cookie: COOKIE, origin: APP, 'sec-fetch-site': 'same-origin' }, 'azure', 'CrossSiteRequest'],
    ['deployed, no bearer token: possibly cookie-borne even when the cookie is not visible', 'POST', { origin: 'https://evil.test' }, 'azure', 'CrossSiteRequest'],
    ['a bearer token (CLI, scripts): browsers never attach one on their own', 'POST', { authorization: 'Bearer x', origin: 'https://evil.test' }, 'azure', undefined],
    ['locally, principal headers without the session cookie (CLI, tests)', 'POST', { 'x-ms-client-principal-id': 'x' }, 'local', undefined],
    ['locally, the session cookie is held to the rule', 'POST', { cookie: COOKIE, origin: 'http://localhost:9' }, 'local', 'CrossSiteRequest'],
    ['DELETE and PUT count as changes too', 'DELETE', { cookie: COOKIE }, 'azure', 'CrossSiteRequest'],
  ] as const)('%s', (_what, method, headers, mode, expected) => {
    expect(check(method, headers, mode)).toBe(expected);
  });

  test('PUBLIC_BASE_URL counts as our origin (a custom domain in front of the app)', () => {
    const headers = { cookie: COOKIE, [PORTAL_REQUEST_HEADER]: '1', origin: 'https://access.contoso.test' };
    expect(check('POST', headers, 'azure', 'https://access.contoso.test')).toBeUndefined();
    expect(check('POST', headers, 'azure', APP)).toBe('CrossSiteRequest');
  });

  test('the refusal says what to do', () => {
    const refusal = crossSiteRefusal({ method: 'POST', url: `${APP}/api/requests`, headers: new Headers({ cookie: COOKIE, origin: 'https://evil.test' }) }, { mode: 'azure', publicBaseUrl: APP });
    expect(refusal?.status).toBe(403);
    expect(refusal?.message).toMatch(/came from https:\/\/evil\.test.*portal, or call the API with a bearer token/);
  });
});

test.each([
  ['AppServiceAuthSession=x', true],
  ['a=1; AppServiceAuthSession=x', true],
  ['NotAppServiceAuthSession=x', false],
  ['AppServiceAuthSessionX=1', false],
  ['', false],
])('hasSessionCookie(%j) = %s', (header, expected) => expect(hasSessionCookie(header)).toBe(expected));
