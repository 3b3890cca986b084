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

/** A fixture event with its `data` replaced through `edit` (on a deep copy). */
export function withData(name: FixtureName, edit: (data: Record<string, unknown>) => void): ReceivedEvent {
  const event = receivedFixture(name);
  const data = structuredClone(event.data) as Record<string, unknown>;
  edit(data);
  return { ...event, data };
}
