/**
 * The Azure Functions entry point registers exactly the registration table, with the routes,
 * methods, schedules and triggers of API.md, and an Event Grid wrapper that lets permanent
 * failures go (Event Grid would otherwise retry a malformed event for 24 hours).
 */
import { app, InvocationContext, type EventGridEvent, type HttpFunctionOptions, type EventGridFunctionOptions, type TimerFunctionOptions } from '@azure/functions';
import { functionTable } from '../../functions/table';
import { InternalError } from '../../shared/domain/errors';

const http = new Map<string, HttpFunctionOptions>();
const eventGrid = new Map<string, EventGridFunctionOptions>();
const timers = new Map<string, TimerFunctionOptions>();
const terminateHooks: Array<() => unknown> = [];

beforeAll(() => {
  jest.spyOn(app.hook, 'appTerminate').mockImplementation((handler) => {
    terminateHooks.push(handler as () => unknown);
    return { dispose: () => undefined } as ReturnType<typeof app.hook.appTerminate>;
  });
  jest.spyOn(app, 'http').mockImplementation((name, options) => void http.set(name, options));
  jest.spyOn(app, 'eventGrid').mockImplementation((name, options) => void eventGrid.set(name, options));
  jest.spyOn(app, 'timer').mockImplementation((name, options) => void timers.set(name, options));
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  require('../../functions/index');
});

afterAll(() => jest.restoreAllMocks());

const API = [
  ['createRequest', 'api/requests', ['POST']],
  ['listRequests', 'api/requests', ['GET']],
  ['getRequest', 'api/requests/{id}', ['GET']],
  ['approveRequest', 'api/requests/{id}/approve', ['POST']],
  ['denyRequest', 'api/requests/{id}/deny', ['POST']],
  ['cancelRequest', 'api/requests/{id}/cancel', ['POST']],
  ['suggestRoles', 'api/suggestions', ['POST']],
  ['listGrants', 'api/grants', ['GET']],
  ['revokeGrant', 'api/grants/{id}/revoke', ['POST']],
  ['renewGrant', 'api/grants/{id}/renew', ['POST']],
  ['queryAudit', 'api/audit', ['GET']],
  ['verifyAudit', 'api/audit/verify', ['GET']],
  ['health', 'api/health', ['GET']],
  ['listAccess', 'api/access', ['GET']],
  ['resetEnforcement', 'api/enforcement/reset', ['POST']],
  ['messages', 'api/messages', ['POST']],
] as const;

test.each(API)('%s is registered at /%s', (name, route, methods) => {
  expect(http.get(name)).toMatchObject({ route, methods, authLevel: 'anonymous' });
});

test('Event Grid and timer functions of API.md are registered', () => {
  expect([...eventGrid.keys()].sort()).toEqual(['armEvents', 'keyVaultEvents', 'storageEvents']);
  expect(timers.get('expireGrants')?.schedule).toBe('0 * * * * *');
  expect(timers.get('reconcile')?.schedule).toBe('0 */15 * * * *');
});

test('a clean shutdown closes the audit chains (appTerminate), without building an app that never ran', async () => {
  expect(terminateHooks).toHaveLength(1);
  // Nothing was built in this process (no settings at all): the hook must not try to build one.
  await expect(Promise.resolve(terminateHooks[0]!())).resolves.toBeUndefined();
});

test('every entry of the table is registered once, and nothing else', () => {
  const names = functionTable(() => Promise.reject(new Error('not used'))).map((f) => f.name).sort();
  expect([...http.keys(), ...eventGrid.keys(), ...timers.keys()].sort()).toEqual(names);
});

describe('the Event Grid wrapper', () => {
  const event = { id: 'e1', topic: '/subscriptions/x', subject: 's', eventType: 'Microsoft.KeyVault.SecretNewVersionCreated', eventTime: '2026-11-20T10:00:00Z', dataVersion: '1', metadataVersion: '1', data: {} } as EventGridEvent;
  type Handler = (e: EventGridEvent, c: InvocationContext) => Promise<void>;
  const contextLogging = (errors: unknown[]) => new InvocationContext({ functionName: 'test', logHandler: (level, ...args) => void (level === 'error' && errors.push(args)) });

  test('a malformed event is logged and let go, so Event Grid does not retry it for 24 hours', async () => {
    const errors: unknown[] = [];
    const handler = eventGrid.get('keyVaultEvents')!.handler as Handler;
    await expect(handler({ ...event, data: { Id: 42, VaultName: ['x'] } }, contextLogging(errors))).resolves.toBeUndefined();
    expect(JSON.stringify(errors)).toContain('refused permanently');
  });

  test('anything else is rethrown, so the host answers 500 and Event Grid redelivers', async () => {
    // No app settings in this process: building the dependencies fails, which must never be swallowed.
    const handler = eventGrid.get('armEvents')!.handler as Handler;
    await expect(handler({ ...event, eventType: 'Microsoft.Resources.ResourceWriteSuccess' }, contextLogging([]))).rejects.toThrow(/configuration is invalid/);
  });
});

test('our own permanent failures are not swallowed: they go to retry and dead-letter', async () => {
  const handler = eventGrid.get('storageEvents')!.handler as (e: EventGridEvent, c: InvocationContext) => Promise<void>;
  // A valid blob event whose handling fails on our side (logging stands in for any dependency of the handler).
  const spy = jest.spyOn(InvocationContext.prototype, 'log').mockImplementation(() => {
    throw new InternalError('AccessManager lacks a permission', 'AzurePermissionDenied');
  });
  const blob = {
    id: 'b1',
    topic: '/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg-weights/providers/Microsoft.Storage/storageAccounts/stweights',
    subject: '/blobServices/default/containers/checkpoints/blobs/run-42/step-1000.safetensors',
    eventType: 'Microsoft.Storage.BlobCreated',
    eventTime: '2026-11-20T10:06:00Z',
    dataVersion: '',
    metadataVersion: '1',
    data: { api: 'PutBlockList', url: 'https://stweights.blob.core.windows.net/checkpoints/run-42/step-1000.safetensors', contentLength: 1, blobType: 'BlockBlob' },
  } as EventGridEvent;
  try {
    await expect(handler(blob, new InvocationContext({ functionName: 'storageEvents' }))).rejects.toThrow(/lacks a permission/);
  } finally {
    spy.mockRestore();
  }
});
