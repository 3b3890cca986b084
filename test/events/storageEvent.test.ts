/** decodeStorageEvent: the fixture, blob subjects, ignored account-level events, errors, hostile inputs. */
import fc from 'fast-check';
import { ValidationError } from '../../shared/domain/errors';
import { receivedEventFrom, type ReceivedEvent } from '../../shared/domain/events/envelope';
import { decodeStorageEvent } from '../../shared/domain/events/storageEvent';
import { delivered, rawWith, receivedFixture, type EnvelopeEdits } from './fixtures';

const ACCOUNT_ID = '/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg-weights/providers/Microsoft.Storage/storageAccounts/stweights';
const base = receivedFixture('storage-blob-created.eventgrid');
const baseData = base.data as Record<string, unknown>;

/** Envelope fields go through the envelope parser, as production delivers them; `data` is the decoder's to judge. */
function event(overrides: EnvelopeEdits, data: unknown = baseData): ReceivedEvent {
  return { ...delivered('storage-blob-created.eventgrid', overrides), data };
}

test('the fixture', () => {
  expect(decodeStorageEvent(base)).toEqual({
    kind: 'storage',
    eventId: '831e1650-001e-0000-0000-000000000006',
    eventType: 'Microsoft.Storage.BlobCreated',
    eventTime: '2026-11-20T10:06:00.000Z',
    accountId: ACCOUNT_ID,
    accountName: 'stweights',
    container: 'checkpoints',
    blobPath: 'run-42/step-1000.safetensors',
    api: 'PutBlockList',
    url: 'https://stweights.blob.core.windows.net/checkpoints/run-42/step-1000.safetensors',
    contentLength: 524288000,
  });
});

test.each<[string, EnvelopeEdits, unknown, Record<string, unknown>]>([
  [
    'BlobDeleted has no contentLength',
    { type: 'Microsoft.Storage.BlobDeleted' },
    { api: 'DeleteBlob', url: baseData.url },
    { eventType: 'Microsoft.Storage.BlobDeleted', api: 'DeleteBlob' },
  ],
  ['type in another letter case', { type: 'microsoft.storage.blobcreated' }, baseData, { eventType: 'Microsoft.Storage.BlobCreated' }],
  [
    'a blob name containing /blobs/ and spaces',
    { subject: '/blobServices/default/containers/checkpoints/blobs/a/blobs/b c.bin' },
    baseData,
    { container: 'checkpoints', blobPath: 'a/blobs/b c.bin' },
  ],
  ['the $web container', { subject: '/blobServices/default/containers/$web/blobs/index.html' }, baseData, { container: '$web', blobPath: 'index.html' }],
  [
    'DirectoryCreated (hierarchical namespace)',
    { type: 'Microsoft.Storage.DirectoryCreated', subject: '/blobServices/default/containers/checkpoints/blobs/run-43' },
    { api: 'CreateDirectory', url: 'https://stweights.dfs.core.windows.net/checkpoints/run-43' },
    { eventType: 'Microsoft.Storage.DirectoryCreated', blobPath: 'run-43', api: 'CreateDirectory' },
  ],
])('%s', (_label, overrides, data, expected) => {
  const decoded = decodeStorageEvent(event(overrides, data));
  expect(decoded).toMatchObject({ kind: 'storage', ...expected });
  if (data !== baseData) expect(decoded).not.toHaveProperty('contentLength');
});

test.each([
  ['Microsoft.Storage.LifecyclePolicyCompleted', /does not change a blob/],
  ['Microsoft.Storage.BlobInventoryPolicyCompleted', /does not change a blob/],
  ['Microsoft.KeyVault.SecretNewVersionCreated', /is not a storage event/],
])('%s is ignored', (type, reason) => {
  const decoded = decodeStorageEvent(event({ type }, { anything: true }));
  expect(decoded.kind).toBe('ignored');
  expect((decoded as { reason: string }).reason).toMatch(reason);
});

describe('malformed and hostile data', () => {
  test.each<[string, EnvelopeEdits, unknown, RegExp]>([
    ['topic of a resource group', { topic: '/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg-weights' }, baseData, /topic .* is not the ARM id of a storage account/],
    ['topic of a container', { topic: `${ACCOUNT_ID}/blobServices/default/containers/checkpoints` }, baseData, /is not the ARM id of a storage account/],
    ['subject of a queue', { subject: '/queueServices/default/queues/q1' }, baseData, /subject '\/queueServices\/default\/queues\/q1' is not \/blobServices/],
    ['subject without a blob', { subject: '/blobServices/default/containers/checkpoints' }, baseData, /is not \/blobServices/],
    ['container with capitals', { subject: '/blobServices/default/containers/Checkpoints/blobs/x' }, baseData, /container 'Checkpoints' is not a valid container name/],
    ['blob name over 1024', { subject: `/blobServices/default/containers/checkpoints/blobs/${'a'.repeat(1025)}` }, baseData, /blob name is longer than 1024/],
    ['subject with a control character', { subject: '/blobServices/default/containers/checkpoints/blobs/a\u001bb' }, baseData, /event\.subject contains control/],
    ['api missing', {}, { ...baseData, api: undefined }, /data\.api is required/],
    ['api blank', {}, { ...baseData, api: ' ' }, /data\.api must not be empty/],
    ['url not http', {}, { ...baseData, url: 'javascript:alert(1)' }, /data\.url is not an http\(s\) URL/],
    ['url not a URL', {}, { ...baseData, url: 'checkpoints/run-42' }, /data\.url is not an http\(s\) URL/],
    ['contentLength negative', {}, { ...baseData, contentLength: -1 }, /data\.contentLength must not be negative/],
    ['contentLength a string', {}, { ...baseData, contentLength: '5' }, /data\.contentLength must be a number, not '5'/],
    ['contentLength fractional', {}, { ...baseData, contentLength: 1.5 }, /data\.contentLength must be a whole number/],
    ['data a string', {}, 'blob', /data Invalid input: expected object/],
  ])('%s', (_label, overrides, data, message) => {
    const run = () => decodeStorageEvent(event(overrides, data));
    expect(run).toThrow(ValidationError);
    expect(run).toThrow(message);
  });
});

test('property: any data or envelope field: a result or a ValidationError, nothing else', () => {
  fc.assert(
    fc.property(
      fc.dictionary(fc.constantFrom('api', 'url', 'contentLength', '__proto__'), fc.oneof(fc.anything({ withNullPrototype: true }), fc.string({ unit: 'binary' }), fc.webUrl())),
      fc.dictionary(fc.constantFrom('id', 'type', 'topic', 'time', 'subject', 'data'), fc.oneof(fc.anything(), fc.string({ unit: 'binary' }))),
      (dataEdits, envelopeEdits) => {
        try {
          decodeStorageEvent(receivedEventFrom(rawWith('storage-blob-created.eventgrid', { data: { ...baseData, ...dataEdits }, ...envelopeEdits })));
        } catch (err) {
          if (!(err instanceof ValidationError)) throw err;
        }
      },
    ),
    { numRuns: 500 },
  );
});
