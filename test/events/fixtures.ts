/** Loads the shared event fixtures (copied from /work/shared/fixtures/events) through the real envelope decoder. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { receivedEventFrom, type ReceivedEvent } from '../../shared/domain/events/envelope';

export type FixtureName =
  | 'role-assignment-write.eventgrid'
  | 'role-assignment-write.cloudevent'
  | 'role-assignment-delete.eventgrid'
  | 'storage-account-write.eventgrid'
  | 'storage-blob-created.eventgrid'
  | 'keyvault-secret-new-version.eventgrid'
  | 'subscription-validation.eventgrid';

/** The raw delivery body of a fixture. */
export function rawFixture(name: FixtureName): unknown {
  return JSON.parse(readFileSync(join(__dirname, 'fixtures', `${name}.json`), 'utf8'));
}

/** The first (only) event of a fixture, normalized as the webhook hands it to decoders. */
export function receivedFixture(name: FixtureName): ReceivedEvent {
  const body = rawFixture(name);
  return receivedEventFrom(Array.isArray(body) ? body[0] : body);
}

/** A fixture event with its `data` edited through `edit` (on a deep copy) and envelope fields replaced, delivered as `delivered` does. */
export function withData(name: FixtureName, edit: (data: Record<string, unknown>) => void, envelope: EnvelopeEdits = {}): ReceivedEvent {
  const data = structuredClone(receivedFixture(name).data) as Record<string, unknown>;
  edit(data);
  return delivered(name, { data, ...envelope });
}

/** Envelope fields by their ReceivedEvent names; `undefined` removes the field. */
export type EnvelopeEdits = Partial<Record<'id' | 'type' | 'subject' | 'time' | 'topic' | 'data', unknown>>;

/** The first event of a fixture as delivered on the wire, with envelope fields replaced. */
export function rawWith(name: FixtureName, edits: EnvelopeEdits = {}): Record<string, unknown> {
  const body = rawFixture(name);
  const raw = { ...((Array.isArray(body) ? body[0] : body) as Record<string, unknown>) };
  const cloud = 'specversion' in raw;
  const wire = { id: 'id', type: cloud ? 'type' : 'eventType', subject: 'subject', time: cloud ? 'time' : 'eventTime', topic: cloud ? 'source' : 'topic', data: 'data' };
  for (const [field, value] of Object.entries(edits) as [keyof EnvelopeEdits, unknown][]) {
    if (value === undefined) delete raw[wire[field]];
    else raw[wire[field]] = value;
  }
  return raw;
}

/**
 * A fixture event with envelope fields replaced, through the envelope parser as production
 * delivers it (functions/events.ts): hostile envelope values meet the one place that refuses them.
 */
export function delivered(name: FixtureName, edits: EnvelopeEdits = {}): ReceivedEvent {
  return receivedEventFrom(rawWith(name, edits));
}
