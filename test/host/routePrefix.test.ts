/**
 * The route prefix, as the Functions host applies it from host.json: "" puts function routes at
 * the site root (a catch-all route then serves `/`), the host's own endpoints still come first,
 * and the app's host.json keeps the API at `/api/...`.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { HttpRequest } from '@azure/functions';
import type { FunctionSpec } from '../../functions/types';
import { startHost, type LocalHost } from '../../dev/host';
import { appRoutePrefix, routePrefixOf } from '../../dev/host/hostJson';
import { functionTable } from '../../functions/table';

describe('routePrefixOf (host.json)', () => {
  test.each([
    ['{}', 'api'],
    ['{"extensions":{}}', 'api'],
    ['{"extensions":{"http":{"routePrefix":""}}}', ''],
    ['{"extensions":{"http":{"routePrefix":"v1"}}}', 'v1'],
  ])('%s -> %j', (text, prefix) => expect(routePrefixOf(text)).toBe(prefix));

  test('a broken host.json stops start-up with its name', () => {
    expect(() => routePrefixOf('{', 'x/host.json')).toThrow(/x\/host.json is not valid JSON/);
    expect(() => routePrefixOf('{"extensions":{"http":{"routePrefix":7}}}')).toThrow(/routePrefix must be a string/);
  });

  test('the app serves at the site root, and every API route carries api/ itself', () => {
    expect(appRoutePrefix()).toBe('');
    expect(JSON.parse(readFileSync(join(__dirname, '..', '..', 'host.json'), 'utf8')).extensions.http.routePrefix).toBe('');
    const routes = functionTable(() => Promise.reject(new Error('not used'))).flatMap((f) => (f.kind === 'http' ? [f] : []));
    for (const f of routes.filter((r) => r.name !== 'portal')) expect(f.route).toMatch(/^api\//);
  });
});

describe('a host with route prefix ""', () => {
  let host: LocalHost;
  const named = (label: string) => async (request: HttpRequest) => ({ jsonBody: { label, params: request.params } });
  const functions: FunctionSpec[] = [
    { kind: 'http', name: 'item', route: 'api/items/{id}', methods: ['GET'], handler: named('item') },
    { kind: 'http', name: 'site', route: '{*path}', methods: ['GET'], handler: named('site') },
    { kind: 'timer', name: 'tick', schedule: '0 0 0 1 1 *', handler: async () => undefined },
  ];
  beforeAll(async () => {
    host = await startHost({ port: 0, functions, routePrefix: '' });
  });
  afterAll(() => host.stop());
  const get = async (path: string, init?: RequestInit) => {
    const res = await fetch(`${host.url}${path}`, init);
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };

  test('the most specific route wins; the catch-all serves the root and everything else', async () => {
    expect(await get('/api/items/7')).toEqual({ status: 200, body: { label: 'item', params: { id: '7' } } });
    expect(await get('/')).toEqual({ status: 200, body: { label: 'site', params: {} } });
    expect(await get('/approvals/abc')).toEqual({ status: 200, body: { label: 'site', params: { path: 'approvals/abc' } } });
  });

  test("the host's own endpoints come before any function route", async () => {
    expect((await fetch(`${host.url}/admin/functions/tick`, { method: 'POST', body: '{"input":""}' })).status).toBe(202);
    const res = await get('/runtime/webhooks/eventgrid?functionName=nothing', { method: 'POST', body: '[]', headers: { 'aeg-event-type': 'Notification' } });
    expect(res.status).toBe(404);
  });
});
