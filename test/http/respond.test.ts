/** errorResponse maps every error to its HTTP answer in one place; readJsonBody refuses bad bodies with actionable messages. */
import { HttpRequest, HttpResponse } from '@azure/functions';
import { z } from 'zod';
import {
  ConfigError,
  ConflictError,
  ForbiddenError,
  InternalError,
  NotFoundError,
  PreconditionFailedError,
  TransientError,
  UnauthenticatedError,
  ValidationError,
} from '../../shared/domain/errors';
import { GENERIC_INTERNAL_MESSAGE, errorResponse, json, readJsonBody, toPascalCase } from '../../functions/http/respond';

describe('errorResponse', () => {
  test.each([
    [new ValidationError('scope is not an ARM scope'), 400, 'InvalidRequest', 'scope is not an ARM scope'],
    [new ValidationError('bad duration', 'invalid_duration'), 400, 'InvalidDuration', 'bad duration'],
    [new UnauthenticatedError(), 401, 'Unauthenticated', 'Sign in first: this API needs an Entra identity (App Service authentication).'],
    [new ForbiddenError('You are not an eligible approver.'), 403, 'Forbidden', 'You are not an eligible approver.'],
    [new NotFoundError('No request r-1.'), 404, 'NotFound', 'No request r-1.'],
    [new ConflictError('Already approved by you.', 'AlreadyApproved'), 409, 'AlreadyApproved', 'Already approved by you.'],
    [new PreconditionFailedError(), 412, 'PreconditionFailed', 'The document changed while we were updating it.'],
    [new TransientError('Cosmos DB is throttling; try again shortly.'), 503, 'DependencyUnavailable', 'Cosmos DB is throttling; try again shortly.'],
    [new InternalError('ARM answered 418 to PUT /x?secret=1'), 500, 'InternalError', GENERIC_INTERNAL_MESSAGE],
    [new Error('ECONNRESET at 10.0.0.5'), 500, 'InternalError', GENERIC_INTERNAL_MESSAGE],
    [new ConfigError('COSMOS_KEY missing'), 500, 'InternalError', GENERIC_INTERNAL_MESSAGE],
    ['a thrown string', 500, 'InternalError', GENERIC_INTERNAL_MESSAGE],
    [undefined, 500, 'InternalError', GENERIC_INTERNAL_MESSAGE],
  ])('%p -> %i %s', async (err, status, code, message) => {
    const init = errorResponse(err);
    expect(init.status).toBe(status);
    expect(init.jsonBody).toEqual({ error: { code, message } });
    // Through the library's own response class, as the Functions worker would send it.
    const response = new HttpResponse(init);
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    expect(await response.json()).toEqual({ error: { code, message } });
  });

  test('503 carries Retry-After in whole seconds when the wait is known', () => {
    expect(errorResponse(new TransientError('ARM throttled', 'DependencyThrottled', 2500)).headers).toMatchObject({ 'retry-after': '3' });
    expect(errorResponse(new TransientError('ARM down')).headers).not.toHaveProperty('retry-after');
  });

  test('a 429 AppError carries Retry-After too', () => {
    class TooManyRequests extends TransientError {
      override readonly status = 503;
    }
    const throttled = Object.assign(new TooManyRequests('slow down', 'TooManyRequests', 1000), { status: 429 });
    const init = errorResponse(throttled);
    expect(init.status).toBe(429);
    expect(init.headers).toMatchObject({ 'retry-after': '1' });
  });

  test('5xx causes are logged with their stack (function or context-like logger); 4xx are not', () => {
    const lines: unknown[] = [];
    errorResponse(new Error('the real cause'), (...args: unknown[]) => lines.push(...args));
    expect(String(lines[0])).toMatch(/^Error: the real cause\n\s+at /);
    const ctx = { error: jest.fn() };
    errorResponse(new InternalError('invariant broke'), ctx);
    expect(ctx.error).toHaveBeenCalledWith(expect.stringContaining('invariant broke'));
    errorResponse(new ValidationError('caller fault'), ctx);
    expect(ctx.error).toHaveBeenCalledTimes(1);
  });

  test('stack traces never reach the body', () => {
    const init = errorResponse(new Error('boom'));
    expect(JSON.stringify(init.jsonBody)).not.toMatch(/boom|at Object|\.ts:/);
  });

  test('4xx details are passed on', () => {
    const init = errorResponse(new ValidationError('Invalid request body', 'InvalidRequest', { issues: [{ path: 'scope', message: 'required' }] }));
    expect(init.jsonBody).toEqual({ error: { code: 'InvalidRequest', message: 'Invalid request body', details: { issues: [{ path: 'scope', message: 'required' }] } } });
  });
});

describe('json and toPascalCase', () => {
  test('json sets status, body and a JSON content type', () => {
    expect(json(201, { id: 'r-1' }, { location: '/api/requests/r-1' })).toEqual({
      status: 201,
      jsonBody: { id: 'r-1' },
      headers: { 'content-type': 'application/json; charset=utf-8', location: '/api/requests/r-1' },
    });
  });
  test.each([
    ['NotFound', 'NotFound'],
    ['invalid_scope', 'InvalidScope'],
    ['breaker-tripped', 'BreakerTripped'],
    ['already approved', 'AlreadyApproved'],
    ['--', 'Error'],
  ])('%s -> %s', (input, expected) => expect(toPascalCase(input)).toBe(expected));
});

describe('readJsonBody', () => {
  const schema = z.object({
    scope: z.string().startsWith('/subscriptions/', 'must be an ARM scope starting with /subscriptions/'),
    role: z.string().min(1),
    approvals: z.array(z.object({ by: z.string() })).optional(),
  });
  const request = (body: string | undefined, contentType: string | null = 'application/json') =>
    new HttpRequest({
      method: 'POST',
      url: 'http://localhost/api/requests',
      headers: contentType ? { 'content-type': contentType } : {},
      ...(body !== undefined ? { body: { string: body } } : {}),
    });
  const refusal = async (promise: Promise<unknown>): Promise<ValidationError> => {
    try {
      await promise;
    } catch (err) {
      expect(err).toBeInstanceOf(ValidationError);
      return err as ValidationError;
    }
    throw new Error('expected a ValidationError');
  };

  test('decodes a valid body', async () => {
    await expect(readJsonBody(request('{"scope":"/subscriptions/1","role":"Reader"}'), schema)).resolves.toEqual({ scope: '/subscriptions/1', role: 'Reader' });
  });

  test('accepts +json media types, text/plain (the default label of fetch) and a missing content type', async () => {
    await expect(readJsonBody(request('{"scope":"/subscriptions/1","role":"R"}', 'text/plain;charset=UTF-8'), schema)).resolves.toMatchObject({ role: 'R' });
    await expect(readJsonBody(request('{"scope":"/subscriptions/1","role":"R"}', 'application/merge-patch+json; charset=utf-8'), schema)).resolves.toMatchObject({ role: 'R' });
    await expect(readJsonBody(request('{"scope":"/subscriptions/1","role":"R"}', null), schema)).resolves.toMatchObject({ role: 'R' });
  });

  test('an empty body names the fields to send', async () => {
    const err = await refusal(readJsonBody(request(undefined), schema));
    expect(err.code).toBe('EmptyBody');
    expect(err.message).toBe('The request body is empty; send a JSON object with scope, role, approvals.');
    expect((await refusal(readJsonBody(request('   '), schema))).code).toBe('EmptyBody');
  });

  test('allowEmpty reads an empty body as undefined, and still decodes a present one', async () => {
    const optional = z.object({ comment: z.string().optional() });
    await expect(readJsonBody(request(undefined), optional, { allowEmpty: true })).resolves.toBeUndefined();
    await expect(readJsonBody(request('{"comment":"ok"}'), optional, { allowEmpty: true })).resolves.toEqual({ comment: 'ok' });
    await expect(readJsonBody(request('{"comment":1}'), optional, { allowEmpty: true })).rejects.toThrow('comment: Invalid input');
  });

  test('invalid JSON says so', async () => {
    const err = await refusal(readJsonBody(request('{"scope":'), schema));
    expect(err.code).toBe('InvalidJson');
    expect(err.message).toMatch(/^The request body is not valid JSON \(.+\); send a JSON object with scope, role, approvals\.$/);
  });

  test('a form body asks for JSON with application/json', async () => {
    const err = await refusal(readJsonBody(request('scope=x', 'application/x-www-form-urlencoded'), schema));
    expect(err.code).toBe('UnsupportedContentType');
    expect(err.message).toBe(
      'The request body is application/x-www-form-urlencoded, not JSON; send a JSON object with scope, role, approvals with "Content-Type: application/json".',
    );
  });

  test('too large bodies are refused without reading them whole', async () => {
    const err = await refusal(readJsonBody(request(JSON.stringify({ scope: '/subscriptions/1', role: 'x'.repeat(5000) })), schema, { maxBytes: 1000 }));
    expect(err.code).toBe('PayloadTooLarge');
    expect(err.message).toContain('1000 bytes');
  });

  test('schema failures name every field path', async () => {
    const err = await refusal(readJsonBody(request('{"scope":"rg-weights","approvals":[{"by":1}]}'), schema));
    expect(err.code).toBe('InvalidRequest');
    expect(err.message).toContain('scope: must be an ARM scope starting with /subscriptions/');
    expect(err.message).toContain('role: Invalid input: expected string, received undefined');
    expect(err.message).toContain('approvals[0].by: Invalid input: expected string, received number');
    expect(err.details).toEqual({ issues: expect.arrayContaining([{ path: 'approvals[0].by', message: expect.any(String) }]) });
  });

  test('a body that is not an object is reported at the root', async () => {
    const err = await refusal(readJsonBody(request('[1,2]'), schema));
    expect(err.message).toContain('(body): Invalid input: expected object, received array');
  });

  test('the refusal becomes a 400 through errorResponse', async () => {
    const err = await refusal(readJsonBody(request('{}'), schema));
    const init = errorResponse(err);
    expect(init.status).toBe(400);
    expect((init.jsonBody as { error: { code: string } }).error.code).toBe('InvalidRequest');
  });
});
