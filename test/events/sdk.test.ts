/**
 * Our decoders against Azure's own Event Grid SDK: the fixtures are events the SDK accepts, our
 * event type names are in its list of system events, and where the SDK models a field we read,
 * it reads the same value. The SDK is not our boundary: it throws plain errors on hostile input,
 * insists on metadataVersion "1", and its Key Vault model is camelCase while the wire is PascalCase.
 */
import {
  EventGridDeserializer,
  isSystemEvent,
  type KeyVaultSecretNewVersionCreatedEventData,
  type KnownSystemEventTypes,
} from '@azure/eventgrid';
import { normalizeArmId } from '../../shared/domain/armIds';
import { decodeArmEvent } from '../../shared/domain/events/armEvent';
import { KEY_VAULT_EVENT_TYPES, decodeKeyVaultEvent, type VaultField } from '../../shared/domain/events/keyVaultEvent';
import { BLOB_EVENT_TYPES, decodeStorageEvent } from '../../shared/domain/events/storageEvent';
import { rawFixture, receivedFixture } from './fixtures';

const sdk = new EventGridDeserializer();

test('our event type lists are names the SDK knows (typed KnownSystemEventTypes, so tsc checks each one)', () => {
  const known: readonly KnownSystemEventTypes[] = [...KEY_VAULT_EVENT_TYPES, ...BLOB_EVENT_TYPES];
  expect(new Set(known).size).toBe(KEY_VAULT_EVENT_TYPES.length + BLOB_EVENT_TYPES.length);
});

test('the Key Vault fields we read are the SDK model fields, spelled as on the wire', () => {
  const model: Record<VaultField, Lowercase<keyof KeyVaultSecretNewVersionCreatedEventData>> = {
    Id: 'id',
    VaultName: 'vaultname',
    ObjectType: 'objecttype',
    ObjectName: 'objectname',
    Version: 'version',
    NBF: 'nbf',
    EXP: 'exp',
  };
  for (const [wire, field] of Object.entries(model)) expect(wire.toLowerCase()).toBe(field);
});

test.each(['role-assignment-write.eventgrid', 'role-assignment-delete.eventgrid', 'storage-account-write.eventgrid'] as const)(
  '%s: the SDK reads the resource, operation, correlation id, client IP and time we decode',
  async (name) => {
    const [event] = await sdk.deserializeEventGridEvents(rawFixture(name) as Record<string, unknown>);
    const ours = decodeArmEvent(receivedFixture(name));
    if (event === undefined || ours.kind === 'ignored') throw new Error('expected one decoded ARM event');
    const data = isSystemEvent('Microsoft.Resources.ResourceWriteSuccess', event)
      ? event.data
      : isSystemEvent('Microsoft.Resources.ResourceDeleteSuccess', event)
        ? event.data
        : undefined;
    if (data === undefined) throw new Error(`${event.eventType} is not an ARM resource event to the SDK`);
    expect('assignmentId' in ours ? ours.assignmentId : ours.resourceId).toBe(normalizeArmId(data.resourceUri));
    if ('operationName' in ours) expect(ours.operationName).toBe(data.operationName);
    expect(ours.correlationId).toBe(data.correlationId);
    expect(ours.caller.ipAddress).toBe(data.httpRequest.clientIpAddress);
    expect(ours.eventTime).toBe(event.eventTime.toISOString());
  },
);

test('the CloudEvents fixture: the SDK takes it as the same ResourceWriteSuccess, at the same time', async () => {
  const [event] = await sdk.deserializeCloudEvents(rawFixture('role-assignment-write.cloudevent') as Record<string, unknown>);
  if (event === undefined || !isSystemEvent('Microsoft.Resources.ResourceWriteSuccess', event)) throw new Error('expected a ResourceWriteSuccess');
  const ours = decodeArmEvent(receivedFixture('role-assignment-write.cloudevent'));
  expect(ours).toMatchObject({ kind: 'roleAssignmentWrite', eventTime: event.time?.toISOString(), correlationId: event.data?.correlationId });
});

test('the blob fixture: the SDK reads the api, url and content length we decode', async () => {
  const [event] = await sdk.deserializeEventGridEvents(rawFixture('storage-blob-created.eventgrid') as Record<string, unknown>);
  if (event === undefined || !isSystemEvent('Microsoft.Storage.BlobCreated', event)) throw new Error('expected a BlobCreated');
  expect(decodeStorageEvent(receivedFixture('storage-blob-created.eventgrid'))).toMatchObject({
    api: event.data.api,
    url: event.data.url,
    contentLength: event.data.contentLength,
    eventTime: event.eventTime.toISOString(),
  });
});

test('the Key Vault fixture: the SDK accepts it, but its camelCase model misses the PascalCase wire fields we read', async () => {
  const [event] = await sdk.deserializeEventGridEvents(rawFixture('keyvault-secret-new-version.eventgrid') as Record<string, unknown>);
  if (event === undefined || !isSystemEvent('Microsoft.KeyVault.SecretNewVersionCreated', event)) throw new Error('expected a SecretNewVersionCreated');
  expect(event.data.vaultName).toBeUndefined();
  const wire = event.data as unknown as Record<string, unknown>;
  expect(decodeKeyVaultEvent(receivedFixture('keyvault-secret-new-version.eventgrid'))).toMatchObject({
    vaultName: wire.VaultName,
    objectName: wire.ObjectName,
    version: wire.Version,
    eventTime: event.eventTime.toISOString(),
  });
});
