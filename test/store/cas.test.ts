/** compareAndSwap against the embedded server: racing writers lose nothing, create races yield one document. */
import { z } from 'zod';
import { ConflictError, NotFoundError, TransientError } from '../../shared/domain/errors';
import { ABORT, backoffMs, compareAndSwap, type Mutate } from '../../shared/adapters/cosmos/cas';
import { ensureDatabase, type Stores } from '../../shared/adapters/cosmos/containers';
import { createDoc, readDoc, upsertDoc } from '../../shared/adapters/cosmos/document';
import { diffStoreOps } from '../../bench/storeOps';
import { startEmbeddedStore, type EmbeddedStore } from './embeddedStore';

const counterSchema = z.object({ id: z.string(), value: z.number().int(), writers: z.array(z.string()) });
type Counter = z.infer<typeof counterSchema>;

let store: EmbeddedStore;
let stores: Stores;
beforeAll(async () => {
  store = await startEmbeddedStore();
  stores = await ensureDatabase(store.client, 'accessmanager');
});
afterAll(async () => {
  await store.stop();
});

const increment =
  (writer: string) =>
  (current: Counter | undefined): Counter => {
    if (!current) throw new NotFoundError('counter missing');
    return { ...current, value: current.value + 1, writers: [...current.writers, writer] };
  };

describe('compareAndSwap', () => {
  test('50 concurrent increments of one document all land (no lost update)', async () => {
    await createDoc(stores.state, { id: 'counter-1', value: 0, writers: [] });
    const results = await Promise.all(
      // 50 writers on one document is far beyond real contention (2-5 approvers); the last of them
      // needs ~8-9 rounds here, so give headroom above the default 10 to keep the test deterministic.
      Array.from({ length: 50 }, (_, i) => compareAndSwap(stores.state, 'counter-1', 'counter-1', counterSchema, increment(`w${i}`), { maxAttempts: 50 })),
    );
    const final = await readDoc(stores.state, 'counter-1', 'counter-1', counterSchema);
    expect(final?.doc.value).toBe(50);
    expect(new Set(final?.doc.writers).size).toBe(50);
    expect(results.every((r) => r.changed)).toBe(true);
    const attempts = results.map((r) => r.attempts);
    console.log(`CAS contention: 50 writers on one document, attempts max ${Math.max(...attempts)}, mean ${(attempts.reduce((a, b) => a + b, 0) / 50).toFixed(2)}`);
  });

  test('20 concurrent creators of a missing document produce exactly one, and every mutation is applied once', async () => {
    const upsertCounter = (writer: string) => (current: Counter | undefined): Counter =>
      current ? { ...current, value: current.value + 1, writers: [...current.writers, writer] } : { id: 'counter-2', value: 1, writers: [writer] };
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) => compareAndSwap(stores.state, 'counter-2', 'counter-2', counterSchema, upsertCounter(`c${i}`), { create: true, maxAttempts: 40 })),
    );
    const { items } = await queryDocs('counter-2');
    expect(items).toHaveLength(1);
    expect(items[0]?.value).toBe(20);
    expect(results.filter((r) => r.attempts === 1 && r.changed)).toHaveLength(1);
  });

  test('a mutation that aborts, returns undefined or returns the same object writes nothing', async () => {
    const created = await createDoc(stores.state, { id: 'counter-3', value: 7, writers: [] });
    const before = store.ops.snapshot();
    const noChange: Array<Mutate<Counter>> = [() => ABORT, () => undefined, (current) => current];
    for (const mutate of noChange) {
      const result = await compareAndSwap(stores.state, 'counter-3', 'counter-3', counterSchema, mutate);
      expect(result).toEqual({ doc: { id: 'counter-3', value: 7, writers: [] }, etag: created.etag, attempts: 1, changed: false });
    }
    const used = diffStoreOps(before, store.ops.snapshot()).total;
    expect(used).toMatchObject({ reads: 3, replaces: 0, creates: 0, upserts: 0 });
    expect((await readDoc(stores.state, 'counter-3', 'counter-3', counterSchema))?.etag).toBe(created.etag);
  });

  test('a throwing mutation propagates its own error and writes nothing', async () => {
    await createDoc(stores.state, { id: 'counter-4', value: 1, writers: ['alice'] });
    const approveOnce = (current: Counter | undefined): Counter => {
      if (current?.writers.includes('alice')) throw new ConflictError('alice already approved');
      return current!;
    };
    await expect(compareAndSwap(stores.state, 'counter-4', 'counter-4', counterSchema, approveOnce)).rejects.toThrow(new ConflictError('alice already approved'));
  });

  test('missing document: undefined is passed in; creating needs create: true', async () => {
    const make = (): Counter => ({ id: 'counter-5', value: 1, writers: [] });
    await expect(compareAndSwap(stores.state, 'counter-5', 'counter-5', counterSchema, make)).rejects.toThrow(new NotFoundError('state/counter-5 does not exist.'));
    const skipped = await compareAndSwap(stores.state, 'counter-5', 'counter-5', counterSchema, (current) => current);
    expect(skipped).toEqual({ doc: undefined, attempts: 1, changed: false });
    const created = await compareAndSwap(stores.state, 'counter-5', 'counter-5', counterSchema, make, { create: true });
    expect(created).toMatchObject({ doc: make(), attempts: 1, changed: true });
    expect(created.etag).toEqual((await readDoc(stores.state, 'counter-5', 'counter-5', counterSchema))?.etag);
  });

  test('the current document is frozen: editing it in place fails loudly instead of silently skipping the write', async () => {
    await createDoc(stores.state, { id: 'counter-6', value: 1, writers: [] });
    const inPlace = (current: Counter | undefined) => {
      current!.writers.push('x');
      return current;
    };
    await expect(compareAndSwap(stores.state, 'counter-6', 'counter-6', counterSchema, inPlace)).rejects.toThrow(TypeError);
  });

  test('gives up with TransientError after maxAttempts when every write loses the race', async () => {
    await createDoc(stores.state, { id: 'counter-7', value: 0, writers: [] });
    // A competing writer that always gets in between our read and our write (impure on purpose).
    const alwaysRaced = async (current: Counter | undefined): Promise<Counter> => {
      await upsertDoc(stores.state, { ...current!, value: current!.value + 100 });
      return { ...current!, value: -1 };
    };
    const attempt = compareAndSwap(stores.state, 'counter-7', 'counter-7', counterSchema, alwaysRaced, { maxAttempts: 3 });
    await expect(attempt).rejects.toBeInstanceOf(TransientError);
    await expect(attempt).rejects.toThrow('state/counter-7 kept changing under us: gave up after 3 attempts; retry later.');
    expect((await readDoc(stores.state, 'counter-7', 'counter-7', counterSchema))?.doc.value).toBe(300);
  });

  test('the mutation may not change the id', async () => {
    await createDoc(stores.state, { id: 'counter-8', value: 0, writers: [] });
    await expect(compareAndSwap(stores.state, 'counter-8', 'counter-8', counterSchema, (c) => ({ ...c!, id: 'other' }))).rejects.toThrow(/returned a document with id "other"/);
  });

  test('back-off is jittered, grows with the attempt and stays small', () => {
    expect(backoffMs(1, () => 0.999)).toBe(19);
    expect(backoffMs(3, () => 0.999)).toBe(79);
    expect(backoffMs(20, () => 0.999)).toBe(199);
    expect(backoffMs(5, () => 0)).toBe(0);
  });
});

async function queryDocs(id: string) {
  const { resources } = await stores.state.items.query<Counter>({ query: 'SELECT * FROM c WHERE c.id = @id', parameters: [{ name: '@id', value: id }] }).fetchAll();
  return { items: resources };
}
