/**
 * Event Grid deliveries at the boundary: the Event Grid schema and CloudEvents 1.0 envelopes,
 * the delivery shapes a webhook may receive (array, single event, CloudEvents batch), and the
 * normalised ReceivedEvent that handlers reason about. Every refusal is a ValidationError
 * naming the event index and the field, because Event Grid does not retry a 400.
 */
import { z } from 'zod';
import { MAX_ARM_ID_LENGTH } from '../armIds';
import { ValidationError } from '../errors';
import { nonEmptyString, rfc3339, safeString } from './guards';

/** Event Grid's own limits: ids up to 256 characters; 5000 events is far beyond any batch it sends (max 1 MB). */
export const MAX_EVENT_ID_LENGTH = 256;
export const MAX_EVENTS_PER_DELIVERY = 5000;

/**
 * Messages are predicates: they read as "event[2].id is required". The fields every decoder
 * reads (id, type, subject, topic/source) refuse hostile text here, once for every event source;
 * subject and topic carry ARM ids, so they are held to the ARM id limit.
 */
const text = () => z.string({ error: (iss) => (iss.input === undefined ? 'is required' : 'must be a string') });
const eventId = nonEmptyString(MAX_EVENT_ID_LENGTH);
const eventType = nonEmptyString(256);
const armText = safeString(MAX_ARM_ID_LENGTH);
/** System events always carry object data; `null` is read as "no data". */
const objectData = z
  .custom<Record<string, unknown> | null>((v) => v === null || (typeof v === 'object' && !Array.isArray(v)), {
    error: 'must be a JSON object when present',
  })
  .optional()
  .transform((v) => (v === null ? undefined : v));

const eventGridEventSchema = z.looseObject({
  id: eventId,
  topic: armText,
  subject: armText,
  eventType,
  eventTime: rfc3339(),
  dataVersion: text().optional(),
  metadataVersion: text().optional(),
  data: objectData,
});

const cloudEventSchema = z
  .looseObject({
    specversion: z.literal('1.0', { error: 'must be "1.0"' }),
    id: eventId,
    source: nonEmptyString(MAX_ARM_ID_LENGTH),
    type: eventType,
    subject: armText.optional(),
    time: rfc3339().optional(),
    datacontenttype: text().optional(),
    dataschema: text().optional(),
    data: objectData,
    data_base64: z.base64({ error: 'must be a base64 string' }).optional(),
  })
  .refine((e) => e.data === undefined || e.data_base64 === undefined, {
    error: 'must not be sent together with data',
    path: ['data_base64'],
  })
  .refine((e) => e.data_base64 === undefined || !isJsonMediaType(e.datacontenttype) || decodesToJson(e.data_base64), {
    error: 'must decode to JSON, as datacontenttype declares',
    path: ['data_base64'],
  });

type EventGridSchemaEvent = z.output<typeof eventGridEventSchema>;
type CloudEvent = z.output<typeof cloudEventSchema>;
/** One event as delivered (after validation), in either schema. */
export type RawEvent = EventGridSchemaEvent | CloudEvent;

/** The one envelope every decoder takes: validated by parseEvent, so its text fields are safe. */
export interface ReceivedEvent {
  schema: 'EventGrid' | 'CloudEvents';
  id: string;
  type: string;
  /** '' when a CloudEvent has no subject. */
  subject: string;
  /** RFC 3339 as sent (toIsoMillis normalises it); a CloudEvent may omit it. */
  time: string | undefined;
  /** Event Grid `topic`, or CloudEvents `source`. */
  topic: string;
  data: unknown;
}

/** What a decoder returns for an event its function has nothing to do with (failed operation, other type). */
export interface IgnoredEvent {
  kind: 'ignored';
  eventId: string;
  reason: string;
}

function isCloudEvent(event: RawEvent): event is CloudEvent {
  return 'specversion' in event;
}

/**
 * Decodes a webhook body: an Event Grid schema array, a single Event Grid event, a CloudEvent,
 * or a CloudEvents batch array. Throws ValidationError naming the event and field at fault.
 */
export function parseDelivery(body: unknown): RawEvent[] {
  if (Array.isArray(body)) {
    if (body.length === 0) throw new ValidationError('The delivery is an empty array; expected at least one event.', 'InvalidEvent');
    if (body.length > MAX_EVENTS_PER_DELIVERY) {
      throw new ValidationError(
        `The delivery has ${body.length} events; at most ${MAX_EVENTS_PER_DELIVERY} are accepted in one delivery.`,
        'InvalidEvent',
      );
    }
    return body.map((entry, index) => parseEvent(entry, `event[${index}]`));
  }
  if (body !== null && typeof body === 'object') return [parseEvent(body, 'event')];
  throw new ValidationError(
    `The delivery must be a JSON array of events or a single event object, got ${describeType(body)}.`,
    'InvalidEvent',
  );
}

/** Validates one event in either schema; `label` names it in messages (`event[3]`). */
export function parseEvent(value: unknown, label = 'event'): RawEvent {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new ValidationError(`${label} must be a JSON object, got ${describeType(value)}.`, 'InvalidEvent');
  }
  const cloud = 'specversion' in value;
  const result = cloud ? cloudEventSchema.safeParse(value) : eventGridEventSchema.safeParse(value);
  if (!result.success) {
    const schemaName = cloud ? 'CloudEvents 1.0' : 'Event Grid schema';
    const problems = result.error.issues.map((issue) => `${label}${formatPath(issue.path)} ${issue.message}`);
    throw new ValidationError(`Invalid ${schemaName} event: ${problems.join('; ')}.`, 'InvalidEvent', {
      issues: result.error.issues.map((issue) => ({ path: `${label}${formatPath(issue.path)}`, message: issue.message })),
    });
  }
  return result.data;
}

/** One shape for both schemas, so rules never branch on how Event Grid was configured. */
export function toReceivedEvent(raw: RawEvent): ReceivedEvent {
  if (isCloudEvent(raw)) {
    return {
      schema: 'CloudEvents',
      id: raw.id,
      type: raw.type,
      subject: raw.subject ?? '',
      time: raw.time,
      topic: raw.source,
      data: raw.data_base64 !== undefined ? decodeBase64Data(raw.data_base64, raw.datacontenttype) : raw.data,
    };
  }
  return {
    schema: 'EventGrid',
    id: raw.id,
    type: raw.eventType,
    subject: raw.subject,
    time: raw.eventTime,
    topic: raw.topic,
    data: raw.data,
  };
}

/** For handlers, which receive one event as delivered: validate, then normalise. */
export function receivedEventFrom(value: unknown): ReceivedEvent {
  return toReceivedEvent(parseEvent(value));
}

/** JSON payloads sent as base64 are decoded to values (checked at parse time); anything else stays bytes. */
function decodeBase64Data(encoded: string, contentType: string | undefined): unknown {
  const bytes = Buffer.from(encoded, 'base64');
  if (!isJsonMediaType(contentType)) return new Uint8Array(bytes);
  try {
    return JSON.parse(bytes.toString('utf8'));
  } catch {
    throw new ValidationError(`data_base64 is declared ${String(contentType)} but does not decode to JSON.`, 'InvalidEvent');
  }
}

function isJsonMediaType(contentType: unknown): boolean {
  if (typeof contentType !== 'string') return false;
  const mediaType = contentType.split(';', 1)[0]!.trim().toLowerCase();
  return mediaType === 'application/json' || /^[a-z0-9.+-]+\/[a-z0-9.+-]+\+json$/.test(mediaType);
}

function decodesToJson(encoded: unknown): boolean {
  if (typeof encoded !== 'string') return false;
  try {
    JSON.parse(Buffer.from(encoded, 'base64').toString('utf8'));
    return true;
  } catch {
    return false;
  }
}

function formatPath(path: readonly PropertyKey[]): string {
  return path.map((key) => (typeof key === 'number' ? `[${key}]` : `.${String(key)}`)).join('');
}

function describeType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'string' ? 'a string' : `a ${typeof value}`;
}
