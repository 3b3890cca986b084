/**
 * Revocation intents and held appends against the embedded Cosmos, through the real SDK: a
 * claim is one create and holds the key; a takeover waits for the holder's lease (wall clock)
 * and loses to a newer version; the timer's scan lists intents in the order the store wrote
 * them, from its mark, a cut second whole; a held append is one create without the ledger's
 * marker, and the ledger then knows the key as recorded.
 */
import type { Stores } from '../../shared/adapters/cosmos/containers';
import { RevocationIntentStore } from '../../shared/adapters/cosmos/enforcementState';
import { AuditLedger, MARKER_ID_PREFIX } from '../../shared/adapters/ledger/ledger';
import { sha256Hex } from '../../shared/domain/audit/canonicalJson';
import { parseAuditEntry } from '../../shared/domain/audit/record';
import { isDuplicateAppend } from '../../shared/ports/audit';
import type { RevocationIntent, StoredIntent } from '../../shared/ports/enforcementState';
import { startEmbeddedAuditStore, type EmbeddedAuditStore } from '../audit/embeddedLedger';

let store: EmbeddedAuditStore;
let stores: Stores;
let wall: number;
const LEASE_MS = 10_000;
const opened: AuditLedger[] = [];

beforeAll(async () => {
  store = await startEmbeddedAuditStore();
});
beforeEach(async () => {
  stores = await store.freshStores();
  wall = Date.now();
});
afterAll(async () => {
  await Promise.allSettled(opened.map((l) => l.close()));
  await store.stop();
});

const intentStore = () => new RevocationIntentStore(stores.state, { leaseMs: LEASE_MS, wallNow: () => wall });
const ledger = (tag = 'held') => {
  const l = new AuditLedger({ audit: stores.audit, state: stores.state, instanceTag: tag, shards: 1 });
  opened.push(l);
  return l;
};

function intentFor(n: number): RevocationIntent {
  const assignmentId = `/subscriptions/00000000-0000-0000-0000-000000000001/providers/Microsoft.Authorization/roleAssignments/0000000${n}-0000-4000-8000-000000000000`;
  return {
    key: `revoke:${assignmentId}:2026-12-01T00:00:0${n}Z`,
    assignmentId,
    entry: parseAuditEntry({ action: 'assignment.revoked', actor: { name: 'AccessManager' }, assignmentId, reason: 'no grant covers it' }),
    createdAt: '2026-12-01T00:00:00.000Z',
  };
}

function held(result: Awaited<ReturnType<RevocationIntentStore['claim']>>): StoredIntent {
  if (!('held' in result)) throw new Error('expected the intent to be held already');
  return result.held;
}

test('a claim holds the intent; a second claim is shown the held one; a takeover waits for the lease and loses to a newer version', async () => {
  const intents = intentStore();
  const first = await intents.claim(intentFor(1));
  expect('heldUntil' in first && first.heldUntil > performance.now()).toBe(true);
  const existing = held(await intents.claim(intentFor(1)));
  expect(existing).toMatchObject({ key: intentFor(1).key, assignmentId: intentFor(1).assignmentId });

  expect(await intents.takeOver(existing)).toBeUndefined();
  wall += LEASE_MS;
  const taken = await intents.takeOver(existing);
  expect(taken?.heldUntil).toBeGreaterThan(performance.now());
  // The version it read is gone: a second taker loses.
  wall += LEASE_MS;
  expect(await intents.takeOver(existing)).toBeUndefined();
});

test('a holder time from the future does not hold the key: the intent can be taken over', async () => {
  const intents = new RevocationIntentStore(stores.state, { leaseMs: LEASE_MS, wallNow: () => wall + 3_600_000 });
  await intents.claim(intentFor(9));
  expect(await intentStore().takeOver(held(await intents.claim(intentFor(9))))).toBeDefined();
});

test('a released intent is taken over at once', async () => {
  const intents = intentStore();
  await intents.claim(intentFor(2));
  await intents.release(intentFor(2));
  expect(await intents.takeOver(held(await intents.claim(intentFor(2))))).toBeDefined();
});

test('the scan lists intents in write order from its mark; a full page brings its last second whole; a rewritten intent comes back', async () => {
  const intents = intentStore();
  for (const n of [1, 2, 3, 4, 5]) await intents.claim(intentFor(n));
  // A minute on: the seconds they were written in are settled, so the mark may pass them.
  wall += 61_000;
  const page = await intents.unchecked(2);
  // Written within a second or two: the page holds at least 2, and every intent of its last second.
  expect(page.intents.length).toBeGreaterThanOrEqual(2);
  expect(page.before).toBeDefined();
  const all = [...page.intents];
  await intents.checked(page.before!);
  for (let next = await intents.unchecked(2); next.intents.length > 0; next = await intents.unchecked(2)) {
    all.push(...next.intents);
    await intents.checked(next.before!);
  }
  expect(all.map((i) => i.assignmentId).sort()).toEqual([1, 2, 3, 4, 5].map((n) => intentFor(n).assignmentId).sort());
  expect((await intents.unchecked(10)).intents).toEqual([]);
  // The mark never moves back.
  await intents.checked('1');
  expect((await intents.unchecked(10)).intents).toEqual([]);

  // A takeover writes the intent again: a later scan lists it.
  await new Promise((resolve) => setTimeout(resolve, 1100));
  wall += LEASE_MS;
  const three = all.find((i) => i.key === intentFor(3).key)!;
  expect(await intents.takeOver(three)).toBeDefined();
  expect((await intents.unchecked(10)).intents.map((i) => i.key)).toEqual([intentFor(3).key]);
});

test('an intent written after a scan, in a second that scan already read, is still found', async () => {
  const intents = intentStore();
  await intents.claim(intentFor(1));
  const first = await intents.unchecked(10);
  expect(first.intents.map((i) => i.key)).toEqual([intentFor(1).key]);
  await intents.checked(first.before!);
  await intents.claim(intentFor(2));
  expect((await intents.unchecked(10)).intents.map((i) => i.key)).toContain(intentFor(2).key);
});

test('a held append is one create without a marker; the ledger then knows the key, and an appendOnce of it is a duplicate', async () => {
  const l = ledger();
  const intent = intentFor(6);
  await l.append({ action: 'chain.opened', actor: { name: 'warm-up' } });
  const before = store.ops.snapshot();
  const record = await l.append(intent.entry, { idempotencyKey: intent.key, keyHeldUntil: performance.now() + 5_000 });
  const after = store.ops.snapshot();
  expect(isDuplicateAppend(record)).toBe(false);
  // The record's create; anchors of the chain may be written beside it in the background (state).
  const audit = (s: typeof before) => s.byContainer.audit ?? { creates: 0, reads: 0, queries: 0 };
  expect(audit(after).creates - audit(before).creates).toBe(1);
  expect(audit(after).reads + audit(after).queries - (audit(before).reads + audit(before).queries)).toBe(0);
  expect((await stores.state.item(`${MARKER_ID_PREFIX}${sha256Hex(intent.key)}`, `${MARKER_ID_PREFIX}${sha256Hex(intent.key)}`).read()).statusCode).toBe(404);
  expect(await l.append(intent.entry, { idempotencyKey: intent.key })).toEqual({ duplicate: true });
  // Another instance (nothing in memory) asks the store.
  expect(await ledger('other').recorded([intent.key, intentFor(7).key])).toEqual(new Set([intent.key]));
  expect(await ledger('third').append(intent.entry, { idempotencyKey: intent.key, keyHeldUntil: 0 })).toEqual({ duplicate: true });
});

test('a hold that ran out falls back to the marker: one record, even when a takeover records the same key', async () => {
  const intent = intentFor(8);
  const late = await ledger('late').append(intent.entry, { idempotencyKey: intent.key, keyHeldUntil: performance.now() - 1 });
  expect(isDuplicateAppend(late)).toBe(false);
  const marker = await stores.state.item(`${MARKER_ID_PREFIX}${sha256Hex(intent.key)}`, `${MARKER_ID_PREFIX}${sha256Hex(intent.key)}`).read();
  expect(marker.statusCode).toBe(200);
  expect(await ledger('taker').append(intent.entry, { idempotencyKey: intent.key })).toEqual({ duplicate: true });
  const { resources } = await stores.audit.items.query({ query: 'SELECT VALUE COUNT(1) FROM c WHERE c.idempotencyKeyHash = @h', parameters: [{ name: '@h', value: sha256Hex(intent.key) }] }).fetchAll();
  expect(resources).toEqual([1]);
});
