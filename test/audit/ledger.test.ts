/**
 * The ledger against the embedded Cosmos through the real SDK: appends, anchors, chain
 * ownership, parallel writers, and tampering done directly in the store.
 */
import type { Container } from '@azure/cosmos';
import { AuditLedger, type AuditLedgerOptions } from '../../shared/adapters/ledger/ledger';
import { CosmosAnchorSink, anchorDocId } from '../../shared/adapters/ledger/cosmosAnchorSink';
import { hashOf, recordId, type AuditEntry, type AuditRecord } from '../../shared/domain/audit/record';
import { isDuplicateAppend } from '../../shared/ports/audit';
import { listRegisteredChains } from '../../shared/adapters/ledger/chainRegistry';
import { diffStoreOps } from '../../bench/storeOps';
import type { Stores } from '../../shared/adapters/cosmos/containers';
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

const RG = '/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg-weights';

function entry(n: number): AuditEntry {
  return { action: 'grant.created', actor: { id: 'approver', name: 'Approver' }, principalId: `p${n % 5}`, scope: RG, grantId: `g${n}`, reason: `grant ${n}` };
}

function ledger(stores: Stores, opts: Partial<AuditLedgerOptions> = {}): AuditLedger {
  const l = new AuditLedger({ audit: stores.audit, state: stores.state, instanceTag: 'test', ...opts });
  opened.push(l);
  return l;
}

async function appendAll(l: AuditLedger, count: number, offset = 0): Promise<AuditRecord[]> {
  const results = await Promise.all(Array.from({ length: count }, (_, i) => l.append(entry(offset + i))));
  return results.map((r) => {
    if (isDuplicateAppend(r)) throw new Error('unexpected duplicate');
    return r;
  });
}

async function rawRecords(audit: Container, chainId: string): Promise<Array<Record<string, unknown>>> {
  const { resources } = await audit.items
    .query<Record<string, unknown>>({ query: 'SELECT * FROM c WHERE c.chainId = @c ORDER BY c.id', parameters: [{ name: '@c', value: chainId }] })
    .fetchAll();
  return resources;
}

/** A ledger with two closed chains of ~20 records each, for tampering. */
async function closedLedger(): Promise<{ stores: Stores; chains: string[] }> {
  const stores = await store.freshStores();
  const l = ledger(stores, { shards: 2, anchorEvery: 5 });
  await appendAll(l, 40);
  const chains = l.chainIds();
  await l.close();
  return { stores, chains };
}

describe('appending', () => {
  test('an untouched ledger verifies; records carry the chain fields', async () => {
    const stores = await store.freshStores();
    const l = ledger(stores);
    const records = await appendAll(l, 12);
    await l.close();
    expect(l.chainIds()).toHaveLength(4);
    expect(records[0]).toMatchObject({ seq: 1, scopeKey: RG.toLowerCase(), principalId: 'p0', action: 'grant.created' });
    expect(records[0]!.id).toMatch(/^test-[0-9a-f]{8}:0000000001$/);
    expect(await l.verify()).toMatchObject({ ok: true, checked: 12 + 4, chains: 4 });
    const registered = await listRegisteredChains(stores.state);
    expect(registered.map((c) => c.chainId).sort()).toEqual([...l.chainIds()].sort());
    const genesis = (await rawRecords(stores.audit, l.chainIds()[0]!))[0]!;
    expect(genesis).toMatchObject({ seq: 0, action: 'chain.opened', prevHash: '0'.repeat(64), details: { instance: 'test', shard: 0 } });
  });

  test('an append to an opened chain costs exactly one store operation', async () => {
    const stores = await store.freshStores();
    const l = ledger(stores, { shards: 1, anchorEvery: 1000 });
    const first = (await l.append(entry(0))) as AuditRecord;
    const sink = new CosmosAnchorSink(stores.state);
    await waitFor(async () => (await sink.read(first.chainId)) !== undefined); // the genesis anchor, written in the background
    const before = store.ops.snapshot();
    for (let i = 1; i <= 5; i += 1) await l.append(entry(i));
    const cost = diffStoreOps(before, store.ops.snapshot()).byContainer;
    expect(cost['audit']).toMatchObject({ creates: 5, reads: 0, queries: 0, replaces: 0 });
    expect(cost['state']?.creates ?? 0).toBe(0);
    await l.close();
  });

  test('records of one shard key stay in one chain, in call order', async () => {
    const stores = await store.freshStores();
    const l = ledger(stores);
    const records = await Promise.all([1, 2, 3, 4, 5].map((n) => l.append({ ...entry(n), requestId: 'r1' }, { shardKey: 'r1' }))) as AuditRecord[];
    expect(new Set(records.map((r) => r.chainId)).size).toBe(1);
    expect(records.map((r) => r.seq)).toEqual([1, 2, 3, 4, 5]);
    await l.close();
  });

  test('bad entries are refused before anything is written', async () => {
    const stores = await store.freshStores();
    const l = ledger(stores);
    await expect(l.append({ action: 'grant.created', actor: {}, scope: 'rg-weights' })).rejects.toThrow(/scope: must be an ARM scope/);
    expect(l.chainIds()).toEqual([]);
    await l.close();
  });

  test('after close, appends fail', async () => {
    const stores = await store.freshStores();
    const l = ledger(stores);
    await l.append(entry(1));
    await l.close();
    await expect(l.append(entry(2))).rejects.toThrow(/closed/);
  });

  test('when someone else writes our next id, the ledger moves to a new chain and loses nothing', async () => {
    const stores = await store.freshStores();
    const l = ledger(stores, { shards: 1 });
    const first = (await l.append(entry(1))) as AuditRecord;
    // An intruder (or a process with a colliding id) takes seq 2 of our chain.
    await stores.audit.items.create({ ...first, id: recordId(first.chainId, 2), seq: 2, reason: 'not ours' });
    const second = (await l.append(entry(2))) as AuditRecord;
    expect(second.chainId).not.toBe(first.chainId);
    expect(second.seq).toBe(1);
    expect(l.chainIds()).toEqual([second.chainId]);
    await l.close();
    // The foreign record in the abandoned chain is exactly what verify must report.
    expect(await l.verify()).toMatchObject({ ok: false, firstBadId: recordId(first.chainId, 2) });
  });
});

describe('a create whose outcome is unknown (timeout, 5xx)', () => {
  test.each(['before', 'after'] as const)('failing %s the write: the caller gets a TransientError, the chain stays whole', async (when) => {
    const stores = await store.freshStores();
    const flaky = flakyCreates(stores.audit);
    const l = ledger(stores, { audit: flaky.container, shards: 1 });
    const first = (await l.append(entry(1))) as AuditRecord;
    flaky.failNextCreate(when);
    await expect(l.append(entry(2))).rejects.toMatchObject({ name: 'TransientError' });
    const third = (await l.append(entry(3))) as AuditRecord;
    expect(third.chainId).toBe(first.chainId);
    expect(third.seq).toBe(when === 'after' ? 3 : 2);
    await l.close();
    // Closed: every record is anchored.
    expect(await l.verify()).toMatchObject({ ok: true, checked: when === 'after' ? 4 : 3, chains: 1, tail: { unanchoredRecords: 0 } });
  });
});

describe('anchors', () => {
  test('written at open and every N appends', async () => {
    const stores = await store.freshStores();
    const sink = new CosmosAnchorSink(stores.state);
    const l = ledger(stores, { shards: 1, anchorEvery: 10, anchorIntervalMs: 60_000 });
    const first = (await l.append(entry(0))) as AuditRecord;
    await waitFor(async () => (await sink.read(first.chainId)) !== undefined);
    for (let i = 1; i <= 10; i += 1) await l.append(entry(i));
    // The timer is a minute away: only the count can have moved the anchor this far.
    await waitFor(async () => ((await sink.read(first.chainId))?.seq ?? 0) >= 10);
    await l.close();
  });

  test('written after T ms, as closed on close(), and never moved backwards', async () => {
    const stores = await store.freshStores();
    const sink = new CosmosAnchorSink(stores.state);
    const l = ledger(stores, { shards: 1, anchorEvery: 1000, anchorIntervalMs: 150 });
    const records = await appendAll(l, 3);
    const chainId = records[0]!.chainId;
    await waitFor(async () => (await sink.read(chainId))?.seq === 3);
    expect(await sink.read(chainId)).not.toHaveProperty('closed');
    const last = (await l.append(entry(100))) as AuditRecord;
    await l.close();
    expect(await sink.read(chainId)).toMatchObject({ seq: 4, closed: true, hash: last.hash });
    await sink.write({ chainId, seq: 2, hash: records[1]!.hash, at: new Date().toISOString() });
    await sink.write({ chainId, seq: 9, hash: records[1]!.hash, at: new Date().toISOString() });
    expect(await sink.read(chainId)).toMatchObject({ seq: 4, closed: true, hash: last.hash });
    const { resource } = await stores.state.item(anchorDocId(chainId), anchorDocId(chainId)).read();
    expect(resource).toMatchObject({ id: anchorDocId(chainId), chainId, seq: 4 });
  });
});

describe('parallel writers', () => {
  test('1,000 appends from 4 processes at once, each with 250 in flight, leave a ledger that verifies', async () => {
    const stores = await store.freshStores();
    const writers = Array.from({ length: 4 }, (_, i) => ledger(stores, { instanceTag: `proc${i}`, anchorEvery: 50 }));
    const results = await Promise.all(writers.map((w, i) => appendAll(w, 250, i * 250)));
    await Promise.all(writers.map((w) => w.close()));
    const all = results.flat();
    expect(all).toHaveLength(1000);
    expect(new Set(all.map((r) => r.id)).size).toBe(1000);
    expect(new Set(all.map((r) => r.grantId))).toEqual(new Set(Array.from({ length: 1000 }, (_, i) => `g${i}`)));
    const verdict = await writers[0]!.verify({ pageSize: 100 });
    expect(verdict).toMatchObject({ ok: true, checked: 1000 + 16, chains: 16 });
  }, 60_000);
});

describe('tampering in the store is detected and named', () => {
  test('a changed field', async () => {
    const { stores, chains } = await closedLedger();
    const target = (await rawRecords(stores.audit, chains[1]!))[7]!;
    await stores.audit.item(String(target['id']), chains[1]!).replace({ ...target, principalId: 'mallory' });
    expect(await ledger(stores).verify()).toMatchObject({ ok: false, firstBadId: target['id'], problem: expect.stringMatching(/changed after it was written/) });
  });

  test('a deleted record', async () => {
    const { stores, chains } = await closedLedger();
    await stores.audit.item(recordId(chains[0]!, 4), chains[0]!).delete();
    expect(await ledger(stores).verify()).toMatchObject({ ok: false, firstBadId: recordId(chains[0]!, 4), problem: expect.stringMatching(/missing/) });
  });

  test('two records with their contents exchanged', async () => {
    const { stores, chains } = await closedLedger();
    const docs = await rawRecords(stores.audit, chains[0]!);
    const [a, b] = [docs[3]!, docs[9]!];
    await stores.audit.item(String(a['id']), chains[0]!).replace({ ...b, id: String(a['id']) });
    await stores.audit.item(String(b['id']), chains[0]!).replace({ ...a, id: String(b['id']) });
    expect(await ledger(stores).verify()).toMatchObject({ ok: false, firstBadId: a['id'], problem: expect.stringMatching(/moved or swapped/) });
  });

  test('a forged record inserted between two records', async () => {
    const { stores, chains } = await closedLedger();
    const docs = await rawRecords(stores.audit, chains[0]!);
    const forged: Record<string, unknown> = { ...docs[5]!, id: `${String(docs[5]!['id'])}a`, reason: 'forged' };
    delete forged['_rid'];
    forged['hash'] = hashOf(forged);
    await stores.audit.items.create(forged);
    expect(await ledger(stores).verify()).toMatchObject({ ok: false, firstBadId: forged['id'], problem: expect.stringMatching(/inserted/) });
  });

  test('a well-formed forged record appended to a closed chain', async () => {
    const { stores, chains } = await closedLedger();
    const docs = await rawRecords(stores.audit, chains[0]!);
    const last = docs[docs.length - 1]!;
    const seq = Number(last['seq']) + 1;
    const forged: Record<string, unknown> = { ...last, id: recordId(chains[0]!, seq), seq, prevHash: last['hash'], reason: 'forged' };
    for (const k of ['_rid', '_self', '_etag', '_ts']) delete forged[k];
    forged['hash'] = hashOf(forged);
    await stores.audit.items.create(forged);
    expect(await ledger(stores).verify()).toMatchObject({ ok: false, firstBadId: forged['id'], problem: expect.stringMatching(/closed/) });
  });

  test('a forged record in a chain nobody registered', async () => {
    const { stores, chains } = await closedLedger();
    const docs = await rawRecords(stores.audit, chains[0]!);
    const forged: Record<string, unknown> = { ...docs[0]!, id: recordId('evil-00000000', 0), chainId: 'evil-00000000' };
    for (const k of ['_rid', '_self', '_etag', '_ts']) delete forged[k];
    forged['hash'] = hashOf(forged);
    await stores.audit.items.create(forged);
    expect(await ledger(stores).verify()).toMatchObject({ ok: false, firstBadId: recordId('evil-00000000', 0), problem: expect.stringMatching(/not registered/) });
  });

  test.each([2, 3, 4, 1000])('a forged copy of an existing id in another partition (verify pages of %i)', async (pageSize) => {
    const { stores, chains } = await closedLedger();
    const { resources: ids } = await stores.audit.items.query<string>('SELECT VALUE c.id FROM c ORDER BY c.id').fetchAll();
    const victim = [...(await rawRecords(stores.audit, chains[0]!)), ...(await rawRecords(stores.audit, chains[1]!))].find((d) => d['id'] === ids[3])!;
    const forged: Record<string, unknown> = { ...victim, chainId: victim['chainId'] === chains[0] ? chains[1] : chains[0], reason: 'forged' };
    for (const k of ['_rid', '_self', '_etag', '_ts']) delete forged[k];
    await stores.audit.items.create(forged);
    expect(await ledger(stores).verify({ pageSize })).toMatchObject({ ok: false, firstBadId: ids[3], problem: expect.stringMatching(/belongs elsewhere/) });
  });

  test('the newest records dropped after an anchor', async () => {
    const stores = await store.freshStores();
    const l = ledger(stores, { shards: 1, anchorEvery: 10, anchorIntervalMs: 60_000 });
    const records = await appendAll(l, 14);
    const chainId = records[0]!.chainId;
    const sink = new CosmosAnchorSink(stores.state);
    await waitFor(async () => ((await sink.read(chainId))?.seq ?? 0) >= 8);
    const anchored = (await sink.read(chainId))!.seq;
    // The process dies (no close); an intruder removes seq 7..14.
    for (let seq = 7; seq <= 14; seq += 1) await stores.audit.item(recordId(chainId, seq), chainId).delete();
    expect(await ledger(stores).verify()).toMatchObject({ ok: false, checked: 7, firstBadId: recordId(chainId, anchored), problem: expect.stringMatching(/cut off/) });
  });

  test('a whole chain deleted (registry entry left)', async () => {
    const { stores, chains } = await closedLedger();
    for (const doc of await rawRecords(stores.audit, chains[1]!)) await stores.audit.item(String(doc['id']), chains[1]!).delete();
    expect(await ledger(stores).verify()).toMatchObject({ ok: false, firstBadId: recordId(chains[1]!, 0) });
  });

  test('a chain and its registry entry deleted, anchor left', async () => {
    const { stores, chains } = await closedLedger();
    for (const doc of await rawRecords(stores.audit, chains[1]!)) await stores.audit.item(String(doc['id']), chains[1]!).delete();
    const { resources: shards } = await stores.state.items.query<{ id: string; chains: Array<{ chainId: string }> }>("SELECT * FROM c WHERE STARTSWITH(c.id, 'audit-chains:')").fetchAll();
    for (const shard of shards) {
      await stores.state.item(shard.id, shard.id).replace({ id: shard.id, chains: shard.chains.filter((c) => c.chainId !== chains[1]) });
    }
    expect(await ledger(stores).verify()).toMatchObject({ ok: false, problem: expect.stringMatching(/missing from the chain registry/) });
  });
});

async function waitFor(check: () => Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}
