/**
 * The portal function (functions/http/portal.ts): the page shell for page paths, the built bundle
 * under /assets, strict security headers on everything, the API's JSON 404 under /api, and the
 * JavaScript budget (<= 100 KB gzipped). Needs `npm run build` (npm test runs it first).
 */
import { HttpRequest, type HttpResponseInit } from '@azure/functions';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { pageShell, portalDir, PORTAL_SECURITY_HEADERS, servePortal } from '../../functions/http/portal';

const JS_BUDGET_GZIP_BYTES = 100 * 1024;

function get(path: string, headers: Record<string, string> = {}): Promise<HttpResponseInit> {
  const url = new URL(path, 'http://localhost');
  const params: Record<string, string> = url.pathname === '/' ? {} : { path: decodeURIComponent(url.pathname.slice(1)) };
  return servePortal(new HttpRequest({ method: 'GET', url: url.href, headers, params }));
}

const headerOf = (res: HttpResponseInit, name: string) => (res.headers as Record<string, string>)[name];
const text = (res: HttpResponseInit) => Buffer.from(res.body as Uint8Array).toString('utf8');

const dir = portalDir();
if (!dir) throw new Error('The portal is not built (dist/portal/app.js): run npm run build first.');

test('the JavaScript bundle stays within its budget of 100 KB gzipped', () => {
  const gzipped = gzipSync(readFileSync(join(dir, 'app.js')), { level: 9 }).length;
  console.log(`portal JavaScript: ${readFileSync(join(dir, 'app.js')).length} bytes, ${gzipped} bytes gzipped`);
  expect(gzipped).toBeLessThanOrEqual(JS_BUDGET_GZIP_BYTES);
});

test.each(['/', '/request', '/requests', '/requests/3f2b8c1e-0000-4000-8000-000000000001', '/approvals/abc', '/grants', '/admin/audit'])('%s answers the page shell with the security headers', async (path) => {
  const res = await get(path);
  expect(res.status).toBe(200);
  for (const [name, value] of Object.entries(PORTAL_SECURITY_HEADERS)) expect(headerOf(res, name)).toBe(value);
  expect(headerOf(res, 'content-type')).toBe('text/html; charset=utf-8');
  expect(headerOf(res, 'cache-control')).toBe('no-cache');
  const html = text(res);
  expect(html).toMatch(/<script type="module" src="\/assets\/app\.js\?v=[\w-]{12}"><\/script>/);
  // No inline script or style anywhere: the CSP would refuse it.
  expect(html.match(/<script/g)).toHaveLength(1);
  expect(html).not.toMatch(/<style|\sstyle=|\son[a-z]+=/);
});

test('the CSP allows nothing from elsewhere, no inline script, no framing', () => {
  const csp = PORTAL_SECURITY_HEADERS['content-security-policy']!;
  expect(csp).toContain("default-src 'none'");
  expect(csp).toContain("script-src 'self';");
  expect(csp).toContain("frame-ancestors 'none'");
  expect(csp).not.toMatch(/unsafe-inline|unsafe-eval|https?:|\*/);
  expect(PORTAL_SECURITY_HEADERS['x-frame-options']).toBe('DENY');
});

test('assets: the built files only, gzipped when asked, cached for good under their hash, 304 when unchanged', async () => {
  const shell = text(await get('/'));
  const version = /app\.js\?v=([\w-]+)/.exec(shell)![1]!;
  const js = await get(`/assets/app.js?v=${version}`, { 'accept-encoding': 'gzip, br' });
  expect(js.status).toBe(200);
  expect(headerOf(js, 'content-type')).toBe('text/javascript; charset=utf-8');
  expect(headerOf(js, 'content-encoding')).toBe('gzip');
  expect(headerOf(js, 'cache-control')).toBe('public, max-age=31536000, immutable');
  expect(gunzipSync(js.body as Uint8Array).equals(readFileSync(join(dir, 'app.js')))).toBe(true);
  const again = await get('/assets/app.js', { 'if-none-match': headerOf(js, 'etag')! });
  expect(again.status).toBe(304);
  expect(again.body).toBeUndefined();
  expect(headerOf(await get('/assets/app.css'), 'content-type')).toBe('text/css; charset=utf-8');
  expect(headerOf(await get('/assets/app.css'), 'cache-control')).toBe('no-cache');
});

test.each(['/assets/../package.json', '/assets/app.js.map', '/assets/x/app.js', '/favicon.ico', '/robots.txt', '/.env', '/requests/..%2F..%2Fhost.json'])('%s is not served', async (path) => {
  const res = await get(path);
  expect(res.status).toBe(404);
  expect(headerOf(res, 'content-security-policy')).toBe(PORTAL_SECURITY_HEADERS['content-security-policy']);
});

test('an /api path no API function claimed gets the API’s JSON 404, not the page', async () => {
  const res = await get('/api/nothing/here');
  expect(res.status).toBe(404);
  expect(res.jsonBody).toEqual({ error: { code: 'NotFound', message: 'No function serves /api/nothing/here.' } });
});

test('the shell names the assets by version', () => {
  expect(pageShell({ js: 'J', css: 'C' })).toContain('href="/assets/app.css?v=C"');
});
