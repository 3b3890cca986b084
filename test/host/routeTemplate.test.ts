/** Route templates as the Functions host matches them, by table; and how the router chooses among routes. */
import type { HttpMethod } from '@azure/functions';
import { compileRouteTemplate, matchRouteTemplate, resolveRoute, type RoutedFunction } from '../../dev/host/routeTemplate';
import { ConfigError } from '../../shared/domain/errors';

const path = (p: string) => p.split('/').filter((s, i, all) => !(s === '' && i === all.length - 1));

describe('matchRouteTemplate', () => {
  const cases: [string, string, Record<string, string> | undefined][] = [
    ['requests', 'requests', {}],
    ['requests', 'REQUESTS', {}],
    ['requests', 'requests/1', undefined],
    ['requests/{id}', 'requests/abc', { id: 'abc' }],
    ['requests/{id}', 'requests', undefined],
    ['requests/{id}/approve', 'requests/abc/approve', { id: 'abc' }],
    ['requests/{id}/approve', 'requests/abc/deny', undefined],
    ['/audit/verify/', 'audit/verify', {}],
    ['files/{name?}', 'files', {}],
    ['files/{name?}', 'files/a.txt', { name: 'a.txt' }],
    ['files/{name?}', 'files/a/b', undefined],
    ['blobs/{*path}', 'blobs', {}],
    ['blobs/{*path}', 'blobs/a/b/c', { path: 'a/b/c' }],
    ['n/{n:int}', 'n/-12', { n: '-12' }],
    ['n/{n:int}', 'n/1.5', undefined],
    ['g/{id:guid}', 'g/00000000-0000-4000-8000-000000000011', { id: '00000000-0000-4000-8000-000000000011' }],
    ['g/{id:guid}', 'g/not-a-guid', undefined],
    ['a/{name:alpha:maxlength(3)}', 'a/abc', { name: 'abc' }],
    ['a/{name:alpha:maxlength(3)}', 'a/abcd', undefined],
    ['r/{n:range(1,5)}', 'r/5', { n: '5' }],
    ['r/{n:range(1,5)}', 'r/6', undefined],
    ['b/{flag:bool}', 'b/TRUE', { flag: 'TRUE' }],
    ['x/{id}', 'x//', undefined],
  ];
  test.each(cases)('%s ~ %s', (template, p, expected) => {
    expect(matchRouteTemplate(compileRouteTemplate(template), path(p))).toEqual(expected);
  });
});

describe('compileRouteTemplate refuses templates the Functions host would not serve', () => {
  test.each([
    ['a/{id}/{id}', /appears twice/],
    ['a/{*rest}/b', /catch-all .* must be the last segment/],
    ['a/{x?}/b', /only trailing segments can be optional/],
    ['a/{x}.{y}', /exactly one \{parameter\}/],
    ['a/{x:nonsense}', /unsupported route constraint "nonsense"/],
    ['a/{x:min(abc)}', /unsupported route constraint/],
  ])('%s', (template, message) => {
    expect(() => compileRouteTemplate(template)).toThrow(ConfigError);
    expect(() => compileRouteTemplate(template)).toThrow(message);
  });
});

describe('resolveRoute', () => {
  const route = (template: string, methods: HttpMethod[], target: string): RoutedFunction<string> => ({
    route: compileRouteTemplate(template),
    methods,
    target,
  });
  const routes = [
    route('requests/{id}', ['GET'], 'getRequest'),
    route('requests', ['GET'], 'listRequests'),
    route('requests', ['POST'], 'createRequest'),
    route('requests/mine', ['GET'], 'mine'),
    route('{*anything}', ['GET'], 'fallback'),
    route('any', [], 'anyMethod'),
  ];
  test.each([
    ['GET', 'requests', 'listRequests'],
    ['POST', 'requests', 'createRequest'],
    ['GET', 'requests/mine', 'mine'],
    ['GET', 'requests/r-1', 'getRequest'],
    ['get', 'requests/r-1', 'getRequest'],
    ['GET', 'elsewhere/deep', 'fallback'],
    ['PATCH', 'any', 'anyMethod'],
  ])('%s %s -> %s', (method, p, expected) => {
    expect(resolveRoute(routes, method, path(p))).toMatchObject({ kind: 'match', target: expected });
  });
  test('a path served under other methods is a 405 listing them', () => {
    expect(resolveRoute(routes, 'DELETE', path('requests'))).toEqual({ kind: 'methodNotAllowed', allow: ['GET', 'POST'] });
  });
  test('no route at all is not found', () => {
    expect(resolveRoute(routes.slice(0, 3), 'GET', path('x'))).toEqual({ kind: 'notFound' });
  });
});
