/** The local host over real HTTP: routing, request/response fidelity, identity, Event Grid webhook, timers on demand. */
import type { EventGridEvent, HttpRequest, HttpResponseInit, InvocationContext, Timer } from '@azure/functions';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { request as httpRequest } from 'node:http';
import { ReadableStream } from 'node:stream/web';
import type { FunctionSpec } from '../../functions/types';
import { startHost, type LocalHost } from '../../dev/host';
import { ForbiddenError, TransientError, ValidationError } from '../../shared/domain/errors';
import { parseEvent, toReceivedEvent, type ReceivedEvent } from '../../shared/domain/events/envelope';
import { callerFromRequest, principalHeaders } from '../../shared/domain/caller';
import { errorResponse } from '../../functions/http/respond';

const fixture = (name: string): unknown => JSON.parse(readFileSync(join(__dirname, '..', 'events', 'fixtures', `${name}.json`), 'utf8'));

const received: { fn: string; event: ReceivedEvent; invocationId: string }[] = [];
const timerRuns: { timer: Timer; functionName: string }[] = [];
let releaseSlowTimer: (() => void) | undefined;
let concurrentSlowRuns = 0;
let maxConcurrentSlowRuns = 0;
const logLines: string[] = [];

async function echo(request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
  context.log('echo called for', request.params.id);
  return {
    status: 200,
    jsonBody: {
      method: request.method,
      url: request.url,
      params: request.params,
      query: [...request.query.entries()],
      body: await request.text(),
      user: request.user,
      caller: callerFromRequest(request) ?? null,
      functionName: context.functionName,
      invocationId: context.invocationId,
    },
  };
}

const named =
  (label: string) =>
  async (request: HttpRequest): Promise<HttpResponseInit> => ({ jsonBody: { label, params: request.params } });

function onEvent(fn: string) {
  return async (event: EventGridEvent, context: InvocationContext): Promise<void> => {
    const normalised = toReceivedEvent(parseEvent(event));
    received.push({ fn, event: normalised, invocationId: context.invocationId });
    if (normalised.id.startsWith('invalid-')) throw new ValidationError('this event can never be handled');
    if (normalised.id.startsWith('boom-')) throw new Error('database password is hunter2');
    if (normalised.id.startsWith('throttled-')) throw new TransientError('ARM is throttling', 'DependencyThrottled', 3000);
  };
}

const functions: FunctionSpec[] = [
  { kind: 'http', name: 'getItem', route: 'items/{id}', methods: ['GET', 'POST'], handler: echo },
  { kind: 'http', name: 'specialItem', route: 'items/special', methods: ['GET'], handler: named('special') },
  { kind: 'http', name: 'deleteItem', route: 'items/{id}', methods: ['DELETE'], handler: named('delete') },
  { kind: 'http', name: 'files', route: 'files/{name?}', methods: ['GET'], handler: named('files') },
  { kind: 'http', name: 'blobs', route: 'blobs/{*path}', methods: ['GET'], handler: named('blobs') },
  { kind: 'http', name: 'numbers', route: 'numbers/{n:int}', methods: ['GET'], handler: named('numbers') },
  {
    kind: 'http',
    name: 'cookies',
    route: 'cookies',
    methods: ['GET'],
    handler: async () => ({
      status: 201,
      headers: [
        ['set-cookie', 'a=1; Path=/'],
        ['set-cookie', 'b=2'],
        ['x-custom', 'yes'],
      ],
      cookies: [{ name: 'session', value: 'x y', httpOnly: true, secure: true, sameSite: 'Strict', maxAge: 60, path: '/api' }],
      body: 'cookies set',
    }),
  },
  {
    kind: 'http',
    name: 'stream',
    route: 'stream',
    methods: ['GET'],
    handler: async () => ({
      headers: { 'content-type': 'text/plain' },
      body: new ReadableStream<Uint8Array>({
        start(controller) {
          for (const part of ['one ', 'two ', 'three']) controller.enqueue(new TextEncoder().encode(part));
          controller.close();
        },
      }),
    }),
  },
  {
    kind: 'http',
    name: 'iterable',
    route: 'iterable',
    methods: ['GET'],
    handler: async () => ({
      body: (function* () {
        yield new TextEncoder().encode('it');
        yield Buffer.from('er');
      })() as unknown as HttpResponseInit['body'],
    }),
  },
  {
    kind: 'http',
    name: 'bytes',
    route: 'bytes',
    methods: ['GET'],
    handler: async () => ({ headers: { 'content-type': 'application/octet-stream' }, body: new Uint8Array([0, 1, 2, 255]) }),
  },
  { kind: 'http', name: 'noContent', route: 'nocontent', methods: ['POST'], handler: async () => ({ status: 204, jsonBody: { ignored: true } }) },
  {
    kind: 'http',
    name: 'throws',
    route: 'throws',
    methods: ['GET'],
    handler: async () => {
      throw new Error('connection string AccountKey=abc leaked?');
    },
  },
  { kind: 'http', name: 'forbidden', route: 'forbidden', methods: ['GET'], handler: async () => errorResponse(new ForbiddenError('Only admins may do this.')) },
  { kind: 'eventGrid', name: 'armEvents', handler: onEvent('armEvents') },
  {
    kind: 'timer',
    name: 'expireGrants',
    schedule: '0 * * * * *',
    handler: async (timer, context) => {
      timerRuns.push({ timer, functionName: context.functionName });
    },
  },
  {
    kind: 'timer',
    name: 'slowTimer',
    schedule: '0 0 0 1 1 *',
    handler: async () => {
      concurrentSlowRuns++;
      maxConcurrentSlowRuns = Math.max(maxConcurrentSlowRuns, concurrentSlowRuns);
      await new Promise<void>((resolve) => (releaseSlowTimer = resolve));
      concurrentSlowRuns--;
    },
  },
  {
    kind: 'timer',
    name: 'failingTimer',
    schedule: '0 0 0 1 1 *',
    handler: async () => {
      throw new Error('reconcile failed');
    },
  },
];

let host: LocalHost;
beforeAll(async () => {
  host = await startHost({ port: 0, functions, log: (line) => logLines.push(line) });
});
afterAll(async () => {
  await host.stop();
});
beforeEach(() => {
  received.length = 0;
});

const alice = { id: '00000000-0000-4000-8000-000000000011', name: 'alice@contoso.test' };
const erin = { id: '00000000-0000-4000-8000-000000000014', name: 'erin@contoso.test', roles: ['AccessManager.Admin', 'Reader.All'] };

async function getJson(path: string, init?: RequestInit): Promise<{ status: number; body: Record<string, unknown>; headers: Headers }> {
  const res = await fetch(`${host.url}${path}`, init);
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
}

function deliver(body: unknown, headers: Record<string, string> = { 'aeg-event-type': 'Notification' }, functionName = 'armEvents') {
  return fetch(`${host.url}/runtime/webhooks/eventgrid?functionName=${functionName}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

describe('HTTP functions', () => {
  test('route params, repeated query keys, body and a real InvocationContext reach the handler', async () => {
    const { status, body } = await getJson('/api/items/42?status=pending&status=approved&mine=true', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"x":1}',
    });
    expect(status).toBe(200);
    expect(body).toMatchObject({
      method: 'POST',
      params: { id: '42' },
      query: [
        ['status', 'pending'],
        ['status', 'approved'],
        ['mine', 'true'],
      ],
      body: '{"x":1}',
      functionName: 'getItem',
      user: null,
      caller: null,
    });
    expect(body.url).toBe(`${host.url}/api/items/42?status=pending&status=approved&mine=true`);
    expect(body.invocationId).toMatch(/^[0-9a-f-]{36}$/);
    expect(logLines.some((l) => l.includes('[getItem] information: echo called for 42'))).toBe(true);
    expect(logLines.some((l) => /^http getItem POST \/api\/items\/42 200 \d+ms$/.test(l))).toBe(true);
  });

  test('percent-encoded params are decoded; literal segments win over parameters and match case-insensitively', async () => {
    expect((await getJson('/api/items/a%20b%2Fc')).body.params).toEqual({ id: 'a b/c' });
    expect((await getJson('/api/ITEMS/Special')).body).toEqual({ label: 'special', params: {} });
    expect((await getJson('/api/items/special/')).body.label).toBe('special');
  });

  test('optional and catch-all parameters, and constraints', async () => {
    expect((await getJson('/api/files')).body).toEqual({ label: 'files', params: {} });
    expect((await getJson('/api/files/report.txt')).body).toEqual({ label: 'files', params: { name: 'report.txt' } });
    expect((await getJson('/api/blobs/checkpoints/run-42/step-1000.safetensors')).body).toEqual({
      label: 'blobs',
      params: { path: 'checkpoints/run-42/step-1000.safetensors' },
    });
    expect((await getJson('/api/numbers/17')).body).toEqual({ label: 'numbers', params: { n: '17' } });
    expect((await getJson('/api/numbers/seventeen')).status).toBe(404);
  });

  test('unknown routes are 404 and wrong methods 405 with Allow, both in the API error shape', async () => {
    const missing = await getJson('/api/nothing/here');
    expect(missing.status).toBe(404);
    expect(missing.body).toEqual({ error: { code: 'NotFound', message: 'No function serves /api/nothing/here.' } });
    const wrong = await getJson('/api/items/42', { method: 'PUT' });
    expect(wrong.status).toBe(405);
    expect(wrong.headers.get('allow')).toBe('DELETE, GET, POST');
    expect((wrong.body.error as { code: string }).code).toBe('MethodNotAllowed');
    expect((await getJson('/api/items/42', { method: 'DELETE' })).body.label).toBe('delete');
    expect((await getJson('/elsewhere')).status).toBe(404);
  });

  test('Easy Auth headers become request.user exactly as @azure/functions parses them, and a Caller', async () => {
    const { body } = await getJson('/api/items/1', { headers: principalHeaders(erin) });
    const user = body.user as { type: string; id: string; username: string; identityProvider: string; claimsPrincipalData: { claims: { typ: string; val: string }[] } };
    expect(user).toMatchObject({ type: 'AppService', id: erin.id, username: erin.name, identityProvider: 'aad' });
    expect(user.claimsPrincipalData.claims.filter((c) => c.typ === 'roles').map((c) => c.val)).toEqual(erin.roles);
    expect(body.caller).toEqual({ id: erin.id, name: erin.name, roles: erin.roles, isAdmin: true });

    const plain = await getJson('/api/items/1', { headers: principalHeaders(alice) });
    expect(plain.body.caller).toEqual({ ...alice, roles: [], isAdmin: false });
  });

  test('a garbled principal (bad base64) is no identity, for the library and for callerFromRequest', async () => {
    // The library reports the bad header on the console; the assertion below is what matters.
    const warn = jest.spyOn(console, 'warn').mockImplementation(() => undefined);
    try {
      const headers = { ...principalHeaders(alice), 'x-ms-client-principal': '!!!not-base64!!!' };
      const { status, body } = await getJson('/api/items/1', { headers });
      expect(status).toBe(200);
      expect(body.user).toBeNull();
      expect(body.caller).toBeNull();
    } finally {
      warn.mockRestore();
    }
  });

  test('response headers, multiple Set-Cookie and cookies[] are written faithfully', async () => {
    const res = await fetch(`${host.url}/api/cookies`);
    expect(res.status).toBe(201);
    expect(res.headers.get('x-custom')).toBe('yes');
    expect(res.headers.getSetCookie()).toEqual(['a=1; Path=/', 'b=2', 'session=x%20y; Max-Age=60; Path=/api; HttpOnly; Secure; SameSite=Strict']);
    expect(await res.text()).toBe('cookies set');
  });

  test('stream, iterable and byte bodies; 204 drops the body', async () => {
    expect(await (await fetch(`${host.url}/api/stream`)).text()).toBe('one two three');
    expect(await (await fetch(`${host.url}/api/iterable`)).text()).toBe('iter');
    const bytes = await fetch(`${host.url}/api/bytes`);
    expect(bytes.headers.get('content-type')).toBe('application/octet-stream');
    expect([...new Uint8Array(await bytes.arrayBuffer())]).toEqual([0, 1, 2, 255]);
    const empty = await fetch(`${host.url}/api/nocontent`, { method: 'POST' });
    expect(empty.status).toBe(204);
    expect(await empty.text()).toBe('');
  });

  test('jsonBody is JSON with a content type; mapped errors keep their status', async () => {
    const res = await fetch(`${host.url}/api/forbidden`);
    expect(res.status).toBe(403);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(await res.json()).toEqual({ error: { code: 'Forbidden', message: 'Only admins may do this.' } });
  });

  test('an uncaught handler error is a generic 500 that leaks nothing; the cause is logged', async () => {
    const res = await fetch(`${host.url}/api/throws`);
    expect(res.status).toBe(500);
    const text = await res.text();
    expect(JSON.parse(text)).toMatchObject({ error: { code: 'InternalError' } });
    expect(text).not.toContain('AccountKey');
    expect(text).not.toContain('at ');
    expect(logLines.some((l) => l.includes('http throws threw: Error: connection string AccountKey=abc leaked?'))).toBe(true);
  });

  test('bodies over 1 MiB are refused with 413 before the handler runs', async () => {
    const res = await fetch(`${host.url}/api/items/big`, { method: 'POST', body: 'x'.repeat(1024 * 1024 + 1) });
    expect(res.status).toBe(413);
    expect((await res.json()) as unknown).toMatchObject({ error: { code: 'PayloadTooLarge' } });
    // The host still serves afterwards.
    expect((await getJson('/api/items/after')).status).toBe(200);
  });

  test('a streamed (chunked) body over the cap is cut off with 413 too', async () => {
    const status = await new Promise<number>((resolve, reject) => {
      const req = httpRequest(`${host.url}/api/items/chunked`, { method: 'POST', headers: { 'transfer-encoding': 'chunked' } }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      const chunk = Buffer.alloc(256 * 1024, 'y');
      for (let i = 0; i < 5; i++) req.write(chunk);
      req.end();
    });
    expect(status).toBe(413);
  });

  test('GET / lists the functions', async () => {
    const { status, body } = await getJson('/');
    expect(status).toBe(200);
    const list = body.functions as { name: string; kind: string; url?: string; runUrl?: string; schedule?: string }[];
    expect(list.find((f) => f.name === 'getItem')).toMatchObject({ kind: 'http', url: `${host.url}/api/items/{id}` });
    expect(list.find((f) => f.name === 'armEvents')).toMatchObject({ url: `${host.url}/runtime/webhooks/eventgrid?functionName=armEvents` });
    expect(list.find((f) => f.name === 'expireGrants')).toMatchObject({ schedule: '0 * * * * *', runUrl: `${host.url}/admin/functions/expireGrants` });
  });
});

describe('Event Grid webhook', () => {
  test('subscription validation handshake (fixture) answers the validation code', async () => {
    const res = await deliver(fixture('subscription-validation.eventgrid'), { 'aeg-event-type': 'SubscriptionValidation' });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ validationResponse: '512d38b6-c7b8-40c8-89fe-f46f9e9622b6' });
    expect(received).toHaveLength(0);
  });

  test('CloudEvents validation handshake (OPTIONS + WebHook-Request-Origin)', async () => {
    const res = await fetch(`${host.url}/runtime/webhooks/eventgrid?functionName=armEvents`, {
      method: 'OPTIONS',
      headers: { 'WebHook-Request-Origin': 'eventgrid.azure.net' },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('webhook-allowed-origin')).toBe('eventgrid.azure.net');
  });

  test('an Event Grid schema array: one invocation per event, in order, each with its own context', async () => {
    const write = fixture('role-assignment-write.eventgrid') as Record<string, unknown>[];
    const del = fixture('role-assignment-delete.eventgrid') as Record<string, unknown>[];
    const res = await deliver([...write, ...del]);
    expect(res.status).toBe(200);
    expect(received.map((r) => [r.event.schema, r.event.type])).toEqual([
      ['EventGrid', 'Microsoft.Resources.ResourceWriteSuccess'],
      ['EventGrid', 'Microsoft.Resources.ResourceDeleteSuccess'],
    ]);
    expect(new Set(received.map((r) => r.invocationId)).size).toBe(2);
    expect(logLines.some((l) => l.startsWith('eventGrid armEvents event[1] 7d1f3c52-4a0e-4d7e-9d2b-1e5a8c3f0a02 ok'))).toBe(true);
  });

  test('a single CloudEvent (application/cloudevents+json, no aeg-event-type) and a CloudEvents batch', async () => {
    const cloud = fixture('role-assignment-write.cloudevent') as Record<string, unknown>;
    const single = await deliver(cloud, { 'content-type': 'application/cloudevents+json; charset=utf-8' });
    expect(single.status).toBe(200);
    expect(received).toHaveLength(1);
    expect(received[0]!.event).toMatchObject({
      schema: 'CloudEvents',
      id: '7d1f3c52-4a0e-4d7e-9d2b-1e5a8c3f0a03',
      topic: '/subscriptions/00000000-0000-0000-0000-000000000001',
      type: 'Microsoft.Resources.ResourceWriteSuccess',
    });
    received.length = 0;
    const batch = await deliver([cloud, { ...cloud, id: 'second' }], {
      'content-type': 'application/cloudevents-batch+json',
      'aeg-event-type': 'Notification',
    });
    expect(batch.status).toBe(200);
    expect(received.map((r) => r.event.id)).toEqual(['7d1f3c52-4a0e-4d7e-9d2b-1e5a8c3f0a03', 'second']);
  });

  test('malformed bodies are 400 with a precise message and invoke nothing', async () => {
    const notJson = await deliver('[{"id":');
    expect(notJson.status).toBe(400);
    expect(((await notJson.json()) as { error: { code: string; message: string } }).error.message).toMatch(/not valid JSON/);

    const event = (fixture('role-assignment-write.eventgrid') as Record<string, unknown>[])[0]!;
    const badSecond = await deliver([event, { ...event, eventType: '' }]);
    expect(badSecond.status).toBe(400);
    expect(((await badSecond.json()) as { error: { message: string } }).error.message).toContain('event[1].eventType must not be empty');
    expect(received).toHaveLength(0);

    expect((await deliver('"just a string"')).status).toBe(400);
    expect((await deliver([event], {})).status).toBe(400); // no aeg-event-type, plain JSON
  });

  test('unknown or non-Event-Grid functions are 404', async () => {
    const event = fixture('role-assignment-write.eventgrid');
    expect((await deliver(event, undefined, 'nope')).status).toBe(404);
    expect((await deliver(event, undefined, 'getItem')).status).toBe(404);
  });

  test('a handler ValidationError is 400 (dropped); any other failure is 500 (redelivered) and stops the batch', async () => {
    const event = (fixture('role-assignment-write.eventgrid') as Record<string, unknown>[])[0]!;
    const invalid = await deliver([{ ...event, id: 'invalid-1' }]);
    expect(invalid.status).toBe(400);
    expect(await invalid.json()).toEqual({ error: { code: 'InvalidRequest', message: 'this event can never be handled' } });

    received.length = 0;
    const boom = await deliver([{ ...event, id: 'ok-1' }, { ...event, id: 'boom-2' }, { ...event, id: 'ok-3' }]);
    expect(boom.status).toBe(500);
    const text = await boom.text();
    expect(text).not.toContain('hunter2');
    expect(received.map((r) => r.event.id)).toEqual(['ok-1', 'boom-2']);

    const throttled = await deliver([{ ...event, id: 'throttled-1' }]);
    expect(throttled.status).toBe(500);
    expect(throttled.headers.get('retry-after')).toBe('3');
  });
});

describe('timers on demand', () => {
  test('POST /admin/functions/<name> answers 202 and runs the timer with a Timer object', async () => {
    const res = await fetch(`${host.url}/admin/functions/expireGrants`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"input": ""}',
    });
    expect(res.status).toBe(202);
    for (let i = 0; i < 50 && timerRuns.length === 0; i++) await new Promise((r) => setTimeout(r, 10));
    expect(timerRuns).toHaveLength(1);
    const { timer, functionName } = timerRuns[0]!;
    expect(functionName).toBe('expireGrants');
    expect(timer.isPastDue).toBe(false);
    expect(new Date(timer.scheduleStatus.next).getUTCSeconds()).toBe(0);
    expect(Date.parse(timer.scheduleStatus.next)).toBeGreaterThan(Date.now() - 1000);
  });

  test('unknown names are 404; non-timer functions and bad bodies are 400', async () => {
    expect((await fetch(`${host.url}/admin/functions/nope`, { method: 'POST', body: '{"input":""}' })).status).toBe(404);
    expect((await fetch(`${host.url}/admin/functions/getItem`, { method: 'POST', body: '{"input":""}' })).status).toBe(400);
    expect((await fetch(`${host.url}/admin/functions/expireGrants`, { method: 'POST', body: '[1]' })).status).toBe(400);
    expect((await fetch(`${host.url}/admin/functions/expireGrants`, { method: 'GET' })).status).toBe(405);
  });

  test('runTimer never runs two instances at once, and rejects with the handler error', async () => {
    const first = host.runTimer('slowTimer');
    const second = host.runTimer('slowTimer');
    for (let i = 0; i < 50 && !releaseSlowTimer; i++) await new Promise((r) => setTimeout(r, 5));
    const releaseFirst = releaseSlowTimer!;
    releaseSlowTimer = undefined;
    releaseFirst();
    await first;
    for (let i = 0; i < 50 && !releaseSlowTimer; i++) await new Promise((r) => setTimeout(r, 5));
    releaseSlowTimer!();
    await second;
    expect(maxConcurrentSlowRuns).toBe(1);

    await expect(host.runTimer('failingTimer')).rejects.toThrow('reconcile failed');
    expect(logLines.some((l) => l.startsWith('timer failingTimer (on demand) failed'))).toBe(true);
    await expect(host.runTimer('nope')).rejects.toThrow('No timer function named "nope"');
  });
});
