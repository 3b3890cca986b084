/**
 * Decodes blob events of storage account system topics (`Microsoft.Storage.BlobCreated`,
 * `BlobDeleted`, ...): which account (the topic), container and blob changed, and through
 * which API. Account-level events without a blob (lifecycle, inventory) come back `ignored`.
 */
import { z } from 'zod';
import { MAX_ARM_ID_LENGTH, normalizeArmId } from '../armIds';
import { ValidationError } from '../errors';
import type { IgnoredEvent, ReceivedEvent } from './envelope';
import { describeValue, nonEmptyString, parseOrThrow, safeString, toIsoMillis } from './guards';

/** The storage event types that name one blob or directory in their subject. */
export const BLOB_EVENT_TYPES = [
  'Microsoft.Storage.BlobCreated',
  'Microsoft.Storage.BlobDeleted',
  'Microsoft.Storage.BlobRenamed',
  'Microsoft.Storage.BlobTierChanged',
  'Microsoft.Storage.AsyncOperationInitiated',
  'Microsoft.Storage.DirectoryCreated',
  'Microsoft.Storage.DirectoryRenamed',
  'Microsoft.Storage.DirectoryDeleted',
] as const;

export interface StorageEvent {
  kind: 'storage';
  eventId: string;
  /** Canonical spelling of one of BLOB_EVENT_TYPES. */
  eventType: string;
  eventTime: string | undefined;
  /** The storage account's ARM id, from the event topic, normalized. */
  accountId: string;
  accountName: string;
  container: string;
  /** The blob name inside the container, as the subject carries it (may contain `/`). */
  blobPath: string;
  /** The storage API that made the change (`PutBlockList`, `DeleteBlob`, ...). */
  api: string;
  url: string;
  contentLength?: number;
}

const BLOB_TYPES = new Map<string, string>(BLOB_EVENT_TYPES.map((t) => [t.toLowerCase(), t]));
const ACCOUNT_ID = /^\/subscriptions\/[^/]+\/resourceGroups\/[^/]+\/providers\/microsoft\.storage\/storageAccounts\/([^/]+)$/i;
const BLOB_SUBJECT = /^\/blobServices\/default\/containers\/([^/]+)\/blobs\/(.+)$/i;
// Azure's limits: container names 3-63 characters (plus `$root`, `$web`, `$logs`), blob names 1024.
const CONTAINER_NAME = /^(\$root|\$web|\$logs|[a-z0-9](?:[a-z0-9-]{1,61}[a-z0-9])?)$/;
const MAX_BLOB_NAME = 1024;

// Fields not read pass through unread. test/events/sdk.test.ts checks the names against the Event Grid SDK's model.
const blobDataSchema = z.looseObject({
  api: nonEmptyString(128),
  url: safeString(MAX_ARM_ID_LENGTH).refine(isHttpUrl, { error: 'is not an http(s) URL' }),
  contentLength: z
    .number({ error: (iss) => `must be a number, not ${describeValue(iss.input)}` })
    .int({ error: 'must be a whole number of bytes' })
    .nonnegative({ error: 'must not be negative' })
    .optional(),
});

function isHttpUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return url.protocol === 'https:' || url.protocol === 'http:';
  } catch {
    return false;
  }
}

/**
 * Decodes one storage event (its envelope was validated by envelope.ts). Non-blob storage
 * events and other sources come back `ignored`; malformed or hostile data throws ValidationError.
 */
export function decodeStorageEvent(envelope: ReceivedEvent): StorageEvent | IgnoredEvent {
  const label = `Storage event ${envelope.id}`;
  const lowerType = envelope.type.toLowerCase();
  const eventType = BLOB_TYPES.get(lowerType);
  if (eventType === undefined) {
    const reason = lowerType.startsWith('microsoft.storage.')
      ? `${envelope.type} does not change a blob`
      : `${envelope.type} is not a storage event`;
    return { kind: 'ignored', eventId: envelope.id, reason };
  }
  const eventTime = toIsoMillis(envelope.time);

  const topic = envelope.topic;
  const accountId = normalizeArmId(topic);
  const accountName = accountId === undefined ? undefined : ACCOUNT_ID.exec(accountId)?.[1];
  if (accountId === undefined || accountName === undefined) {
    throw new ValidationError(`${label}: topic ${describeValue(topic)} is not the ARM id of a storage account`, 'InvalidEvent');
  }

  const subject = envelope.subject;
  const match = BLOB_SUBJECT.exec(subject);
  const container = match?.[1];
  const blobPath = match?.[2];
  if (container === undefined || blobPath === undefined) {
    throw new ValidationError(
      `${label}: subject ${describeValue(subject)} is not /blobServices/default/containers/<container>/blobs/<path>`,
      'InvalidEvent',
    );
  }
  if (!CONTAINER_NAME.test(container)) {
    throw new ValidationError(`${label}: container ${describeValue(container)} is not a valid container name`, 'InvalidEvent');
  }
  if (blobPath.length > MAX_BLOB_NAME) {
    throw new ValidationError(`${label}: blob name is longer than ${MAX_BLOB_NAME} characters`, 'InvalidEvent');
  }

  const data = parseOrThrow(blobDataSchema, envelope.data, label, 'data');
  const decoded: StorageEvent = {
    kind: 'storage',
    eventId: envelope.id,
    eventType,
    eventTime,
    accountId,
    accountName,
    container,
    blobPath,
    api: data.api,
    url: data.url,
  };
  if (data.contentLength !== undefined) decoded.contentLength = data.contentLength;
  return decoded;
}
