/** Idempotent appends against the embedded Cosmos: concurrent duplicates, redeliveries, and a crashed attempt finished after its lease. */
import type { Container } from '@azure/cosmos';
import { sha256Hex } from '../../shared/domain/audit/canonicalJson';
import { AuditLedger, MARKER_ID_PREFIX } from '../../shared/adapters/ledger/ledger';
import { isDuplicateAppend } from '../../shared/ports/audit';
import type { AuditEntry, AuditRecord } from '../../shared/domain/audit/record';
import type { Stores } from '../../shared/adapters/cosmos/containers';
import { TransientError } from '../../shared/domain/errors';
import { flakyCreates, startEmbeddedAuditStore, type EmbeddedAuditStore } from './embeddedLedger';

let store: EmbeddedAuditStore;
beforeAll(async () => {
  store = await startEmbeddedAuditStore();
});
/** Every ledger a test opened: closed before the store goes, so no anchor write outlives the file. */
const opened: AuditLedger[] = [];
afterAll(async () => {
  await Promise.allSettled(opened.map((l) => l.close()));
  await store.stop();
});

const REVOKED: AuditEntry = {
  action: 'assignment.revoked',
  actor: { name: 'AccessManager' },
  principalId: '00000000-0000-4000-8000-000000000013',
  scope: '/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg-weights',
  eventId: 'evt-1',
  mode: 'enforce',
  reason: 'no grant covers it',
};

/** A clock tests can move forward. */
function testClock(start = Date.parse('2025-05-01T12:00:00.000Z')) {
  let t = start;
  return { now: () => new Date(t), advance: (ms: number) => (t += ms) };
}

function makeLedger(stores: Stores, now: () => Date, audit: Container = stores.audit, tag = 'once'): AuditLedger {
  const l = new AuditLedger({ audit, state: stores.state, instanceTag: tag, now, leaseMs: 10_000, shards: 1 });
  opened.push(l);
  return l;
}

async function recordsWithKey(audit: Container, key: string): Promise<AuditRecord[]> {
  const { resources } = await audit.items
    .query<AuditRecord>({ query: 'SELECT * FROM c WHERE c.idempotencyKeyHash = @h', parameters: [{ name: '@h', value: sha256Hex(key) }] })
    .fetchAll();
  return resources;
}

async function marker(state: Container, key: string): Promise<Record<string, unknown> | undefined> {
  const id = `${MARKER_ID_PREFIX}${sha256Hex(key)}`;
  const { resource } = await state.item(id, id).read<Record<string, unknown>>();
  return resource;
}

test('concurrent duplicates from several processes record exactly one entry', async () => {
  const stores = await store.freshStores();
  const clock = testClock();
  const processes = [makeLedger(stores, clock.now, stores.audit, 'a'), makeLedger(stores, clock.now, stores.audit, 'b'), makeLedger(stores, clock.now, stores.audit, 'c')];
  const attempts = Array.from({ length: 12 }, (_, i) => processes[i % 3]!.appendOnce('evt-1:assignment.revoked', REVOKED));
  const outcomes = await Promise.allSettled(attempts);
  const recorded = outcomes.filter((o) => o.status === 'fulfilled' && !isDuplicateAppend(o.value));
  expect(recorded).toHaveLength(1);
  for (const o of outcomes) {
    if (o.status === 'rejected') expect(o.reason).toBeInstanceOf(TransientError);
    else if (isDuplicateAppend(o.value)) expect(o.value).toEqual({ duplicate: true });
  }
  expect(await recordsWithKey(stores.audit, 'evt-1:assignment.revoked')).toHaveLength(1);
  // A redelivery later: the record is there, so it is a duplicate (and nothing is appended).
  clock.advance(60_000);
  expect(await processes[1]!.append(REVOKED, { idempotencyKey: 'evt-1:assignment.revoked' })).toEqual({ duplicate: true });
  expect(await recordsWithKey(stores.audit, 'evt-1:assignment.revoked')).toHaveLength(1);
  expect(await marker(stores.state, 'evt-1:assignment.revoked')).toMatchObject({ recordId: (recorded[0] as PromiseFulfilledResult<AuditRecord>).value.id });
  await Promise.all(processes.map((p) => p.close()));
  expect((await processes[0]!.verify()).ok).toBe(true);
});

test('a redelivery right after the first attempt finished is a duplicate, not a retry', async () => {
  const stores = await store.freshStores();
  const clock = testClock();
  const l = makeLedger(stores, clock.now);
  const first = await l.appendOnce('evt-2', REVOKED);
  expect(isDuplicateAppend(first)).toBe(false);
  expect(await l.appendOnce('evt-2', REVOKED)).toEqual({ duplicate: true });
  await l.close();
});

test('an attempt that crashed after its marker is completed by the first retry after the lease', async () => {
  const stores = await store.freshStores();
  const clock = testClock();
  const flaky = flakyCreates(stores.audit);
  const crashed = makeLedger(stores, clock.now, flaky.container, 'crashed');
  await crashed.append({ action: 'breaker.reset', actor: { name: 'warm-up' } }); // open its chain, so the failing create is the record's
  flaky.failNextCreate('before');
  await expect(crashed.appendOnce('evt-3', { ...REVOKED, at: '2025-05-01T11:59:59.000Z' })).rejects.toBeInstanceOf(TransientError);
  expect(await marker(stores.state, 'evt-3')).toMatchObject({ pending: { action: 'assignment.revoked' } });
  expect(await marker(stores.state, 'evt-3')).not.toHaveProperty('recordId');

  const retry = makeLedger(stores, clock.now, stores.audit, 'retry');
  // Within the lease: Event Grid must come back later.
  clock.advance(4_000);
  const early = retry.appendOnce('evt-3', REVOKED);
  await expect(early).rejects.toBeInstanceOf(TransientError);
  await expect(early).rejects.toMatchObject({ retryAfterMs: 6_000 });
  expect(await recordsWithKey(stores.audit, 'evt-3')).toHaveLength(0);

  // After the lease: the retry appends the PENDING entry (with its original time) and completes the marker.
  clock.advance(7_000);
  const completed = await retry.appendOnce('evt-3', { ...REVOKED, reason: 'a later delivery says something else' });
  expect(completed).toMatchObject({ action: 'assignment.revoked', reason: 'no grant covers it', at: '2025-05-01T11:59:59.000Z', idempotencyKeyHash: sha256Hex('evt-3') });
  expect(await marker(stores.state, 'evt-3')).toMatchObject({ recordId: (completed as AuditRecord).id });
  expect(await recordsWithKey(stores.audit, 'evt-3')).toHaveLength(1);
  expect(await retry.appendOnce('evt-3', REVOKED)).toEqual({ duplicate: true });
  await Promise.all([crashed.close(), retry.close()]);
  expect((await retry.verify()).ok).toBe(true);
});

test('an attempt whose record landed but whose answer was lost is not recorded twice', async () => {
  const stores = await store.freshStores();
  const clock = testClock();
  const flaky = flakyCreates(stores.audit);
  const first = makeLedger(stores, clock.now, flaky.container, 'first');
  await first.append({ action: 'breaker.reset', actor: { name: 'warm-up' } });
  flaky.failNextCreate('after');
  await expect(first.appendOnce('evt-4', REVOKED)).rejects.toBeInstanceOf(TransientError);
  clock.advance(30_000);
  const retry = makeLedger(stores, clock.now, stores.audit, 'retry');
  expect(await retry.appendOnce('evt-4', REVOKED)).toEqual({ duplicate: true });
  expect(await recordsWithKey(stores.audit, 'evt-4')).toHaveLength(1);
  expect(await marker(stores.state, 'evt-4')).toHaveProperty('recordId');
  await Promise.all([first.close(), retry.close()]);
});

test('retries racing for an abandoned marker append it once', async () => {
  const stores = await store.freshStores();
  const clock = testClock();
  const id = `${MARKER_ID_PREFIX}${sha256Hex('evt-5')}`;
  await stores.state.items.create({ id, keyHash: sha256Hex('evt-5'), createdAt: clock.now().toISOString(), pending: { ...REVOKED, at: clock.now().toISOString() } });
  clock.advance(20_000);
  const retries = Array.from({ length: 6 }, (_, i) => makeLedger(stores, clock.now, stores.audit, `r${i}`));
  const outcomes = await Promise.allSettled(retries.map((r) => r.appendOnce('evt-5', REVOKED)));
  expect(outcomes.filter((o) => o.status === 'fulfilled' && !isDuplicateAppend(o.value))).toHaveLength(1);
  expect(await recordsWithKey(stores.audit, 'evt-5')).toHaveLength(1);
  await Promise.all(retries.map((r) => r.close()));
});
