/** Event Grid and CloudEvents envelopes: the fixtures decode, hostile deliveries are refused with ValidationError only. */
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ValidationError } from '../../shared/domain/errors';
import {
  MAX_EVENTS_PER_DELIVERY,
  parseDelivery,
  parseEvent,
  receivedEventFrom,
  toReceivedEvent,
} from '../../shared/domain/events/envelope';

const fixture = (name: string): unknown => JSON.parse(readFileSync(join(__dirname, '..', 'events', 'fixtures', `${name}.json`), 'utf8'));
const egEvent = (): Record<string, unknown> => (fixture('role-assignment-write.eventgrid') as Record<string, unknown>[])[0]!;
const cloudEvent = (): Record<string, unknown> => fixture('role-assignment-write.cloudevent') as Record<string, unknown>;

function refusal(body: unknown): string {
  try {
    parseDelivery(body);
  } catch (err) {
    expect(err).toBeInstanceOf(ValidationError);
    return (err as Error).message;
  }
  throw new Error('expected a ValidationError');
}

describe('the fixtures decode into ReceivedEvents', () => {
  test.each([
    ['role-assignment-write.eventgrid', 'EventGrid', 'Microsoft.Resources.ResourceWriteSuccess', '/subscriptions/00000000-0000-0000-0000-000000000001'],
    ['role-assignment-delete.eventgrid', 'EventGrid', 'Microsoft.Resources.ResourceDeleteSuccess', '/subscriptions/00000000-0000-0000-0000-000000000001'],
    ['storage-account-write.eventgrid', 'EventGrid', 'Microsoft.Resources.ResourceWriteSuccess', '/subscriptions/00000000-0000-0000-0000-000000000001'],
    ['storage-blob-created.eventgrid', 'EventGrid', 'Microsoft.Storage.BlobCreated', '/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg-weights/providers/Microsoft.Storage/storageAccounts/stweights'],
    ['keyvault-secret-new-version.eventgrid', 'EventGrid', 'Microsoft.KeyVault.SecretNewVersionCreated', '/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg-research/providers/Microsoft.KeyVault/vaults/kv-research'],
    ['subscription-validation.eventgrid', 'EventGrid', 'Microsoft.EventGrid.SubscriptionValidationEvent', '/subscriptions/00000000-0000-0000-0000-000000000001'],
    ['role-assignment-write.cloudevent', 'CloudEvents', 'Microsoft.Resources.ResourceWriteSuccess', '/subscriptions/00000000-0000-0000-0000-000000000001'],
  ])('%s', (name, schema, type, topic) => {
    const events = parseDelivery(fixture(name)).map(toReceivedEvent);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ schema, type, topic });
    expect(events[0]!.data).toEqual(expect.any(Object));
  });

  test('both schemas of the same change normalise to the same fields', () => {
    const eg = receivedEventFrom(egEvent());
    const ce = receivedEventFrom(cloudEvent());
    expect({ ...eg, id: '', schema: '' }).toEqual({ ...ce, id: '', schema: '' });
    expect(eg.time).toBe('2026-11-20T10:02:03.1234567Z');
    expect(eg.subject).toMatch(/roleAssignments\/5f0d7a3e/);
  });

  test('parsed events keep their unknown fields (CloudEvents extensions), as delivered', () => {
    const [event] = parseDelivery({ ...cloudEvent(), traceparent: '00-abc-def-01' });
    expect(event).toMatchObject({ traceparent: '00-abc-def-01', datacontenttype: 'application/json' });
  });
});

describe('delivery shapes', () => {
  test('an Event Grid array, a single Event Grid event, a CloudEvent and a CloudEvents batch', () => {
    expect(parseDelivery([egEvent(), egEvent()])).toHaveLength(2);
    expect(parseDelivery(egEvent())).toHaveLength(1);
    expect(parseDelivery(cloudEvent())).toHaveLength(1);
    expect(parseDelivery([cloudEvent(), { ...cloudEvent(), id: 'b' }]).map((e) => e.id)).toEqual(['7d1f3c52-4a0e-4d7e-9d2b-1e5a8c3f0a03', 'b']);
  });

  test('data_base64 with a JSON content type decodes to the value; other types stay bytes', () => {
    const { data: _data, ...rest } = cloudEvent();
    const json = receivedEventFrom({ ...rest, data_base64: Buffer.from('{"a":1}').toString('base64') });
    expect(json.data).toEqual({ a: 1 });
    const bytes = receivedEventFrom({ ...rest, datacontenttype: 'application/octet-stream', data_base64: Buffer.from([1, 2]).toString('base64') });
    expect(bytes.data).toEqual(new Uint8Array([1, 2]));
  });

  test('a CloudEvent without subject or time normalises to "" and undefined', () => {
    const { subject: _s, time: _t, ...rest } = cloudEvent();
    expect(receivedEventFrom(rest)).toMatchObject({ subject: '', time: undefined });
  });

  test('null data is read as no data', () => {
    expect(receivedEventFrom({ ...egEvent(), data: null }).data).toBeUndefined();
  });
});

describe('refusals name the event and the field', () => {
  const many = Array.from({ length: MAX_EVENTS_PER_DELIVERY + 1 }, (_, i) => ({ ...egEvent(), id: `e${i}` }));
  test.each([
    ['a string body', 'hello', /must be a JSON array of events or a single event object, got a string/],
    ['null', null, /got null/],
    ['a number', 42, /got a number/],
    ['an empty array', [], /empty array/],
    ['too many events', many, /has 5001 events; at most 5000/],
    ['a non-object entry', [egEvent(), 'x'], /event\[1\] must be a JSON object, got a string/],
    ['a nested array entry', [[egEvent()]], /event\[0\] must be a JSON object, got an array/],
    ['a missing id', [{ ...egEvent(), id: undefined }], /event\[0\]\.id is required/],
    ['an empty id', [{ ...egEvent(), id: '' }], /event\[0\]\.id must not be empty/],
    ['a numeric id', [{ ...egEvent(), id: 7 }], /event\[0\]\.id must be a string/],
    ['an id over 256 characters', [{ ...egEvent(), id: 'x'.repeat(257) }], /id must be at most 256 characters/],
    ['a missing eventType', [egEvent(), { ...egEvent(), eventType: undefined }], /event\[1\]\.eventType is required/],
    ['a bad eventTime', [{ ...egEvent(), eventTime: 'yesterday' }], /eventTime must be an RFC 3339 timestamp/],
    ['an id with a control character', [{ ...egEvent(), id: 'a\u0007b' }], /event\[0\]\.id contains control or invisible formatting characters/],
    ['an eventType with a bidi override', [{ ...egEvent(), eventType: 'Microsoft.Resources.Resource\u202eWriteSuccess' }], /eventType contains control/],
    ['a subject with a newline', [{ ...egEvent(), subject: '/subscriptions/x\n/y' }], /subject contains control/],
    ['a topic over 2048 characters', [{ ...egEvent(), topic: '/'.padEnd(2049, 'a') }], /topic must be at most 2048 characters/],
    ['a CloudEvent source with an unpaired surrogate', { ...cloudEvent(), source: '/subscriptions/\ud800' }, /event\.source contains control/],
    ['array data', [{ ...egEvent(), data: [1, 2] }], /event\[0\]\.data must be a JSON object when present/],
    ['string data', [{ ...egEvent(), data: 'x' }], /data must be a JSON object/],
    ['a missing topic', [{ ...egEvent(), topic: undefined }], /topic is required/],
    ['a CloudEvent of another spec version', { ...cloudEvent(), specversion: '0.3' }, /CloudEvents 1\.0 event: event\.specversion must be "1\.0"/],
    ['a CloudEvent without type', { ...cloudEvent(), type: '' }, /event\.type must not be empty/],
    ['a CloudEvent without source', { ...cloudEvent(), source: undefined }, /event\.source is required/],
    ['a CloudEvent with data and data_base64', { ...cloudEvent(), data_base64: 'AAAA' }, /data_base64 must not be sent together with data/],
    ['a CloudEvent whose JSON data_base64 is not JSON', { ...cloudEvent(), data: undefined, data_base64: Buffer.from('{nope').toString('base64') }, /data_base64 must decode to JSON/],
    ['a CloudEvent with bad base64', { ...cloudEvent(), data: undefined, data_base64: '***' }, /data_base64 must be a base64 string/],
    ['a CloudEvent with a bad time', { ...cloudEvent(), time: '2026-11-20' }, /event\.time must be an RFC 3339 timestamp/],
  ])('%s', (_label, body, message) => {
    expect(refusal(body)).toMatch(message);
  });

  test('every problem of an event is listed, with details for tools', () => {
    try {
      parseEvent({ id: '', subject: 3 }, 'event[4]');
      throw new Error('expected a refusal');
    } catch (err) {
      expect(err).toBeInstanceOf(ValidationError);
      const message = (err as ValidationError).message;
      for (const part of ['event[4].id must not be empty', 'event[4].topic is required', 'event[4].subject must be a string', 'event[4].eventType is required']) {
        expect(message).toContain(part);
      }
      expect((err as ValidationError).details).toMatchObject({ issues: expect.arrayContaining([{ path: 'event[4].id', message: 'must not be empty' }]) });
    }
  });
});

describe('hostile input (property-based)', () => {
  const onlyValidationErrors = (body: unknown) => {
    try {
      const events = parseDelivery(body);
      for (const event of events) toReceivedEvent(event);
    } catch (err) {
      if (!(err instanceof ValidationError)) throw err;
    }
  };

  test('arbitrary JSON values never throw anything but ValidationError', () => {
    fc.assert(fc.property(fc.jsonValue(), onlyValidationErrors), { numRuns: 1000 });
  });

  test('mutated real events (fields replaced by arbitrary values) never throw anything but ValidationError', () => {
    const keys = ['id', 'topic', 'subject', 'eventType', 'eventTime', 'dataVersion', 'metadataVersion', 'data', 'specversion', 'source', 'type', 'time', 'data_base64', 'datacontenttype', '__proto__', 'constructor'];
    fc.assert(
      fc.property(
        fc.boolean(),
        fc.dictionary(fc.constantFrom(...keys), fc.oneof(fc.jsonValue(), fc.string(), fc.base64String())),
        fc.boolean(),
        (cloud, overrides, asArray) => {
          const event = { ...(cloud ? cloudEvent() : egEvent()) };
          for (const [k, v] of Object.entries(overrides)) Object.defineProperty(event, k, { value: v, enumerable: true, configurable: true, writable: true });
          onlyValidationErrors(asArray ? [event] : event);
        },
      ),
      { numRuns: 1000 },
    );
  });

  test('objects with a poisoned prototype key do not pollute Object.prototype', () => {
    const body = JSON.parse(`[{"__proto__":{"polluted":true},"id":"a","topic":"t","subject":"s","eventType":"x","eventTime":"2026-11-20T10:00:00Z"}]`) as unknown;
    parseDelivery(body);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});
