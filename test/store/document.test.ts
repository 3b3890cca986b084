/** Document helpers against the embedded server: status mapping, decoding, system properties, paging and counting. */
import { z } from 'zod';
import { ConflictError, InternalError, NotFoundError, PreconditionFailedError } from '../../shared/domain/errors';
import { ensureDatabase, type Stores } from '../../shared/adapters/cosmos/containers';
import { createDoc, deleteDoc, queryDocs, readDoc, replaceDoc, upsertDoc } from '../../shared/adapters/cosmos/document';
import { diffStoreOps } from '../../bench/storeOps';
import { startEmbeddedStore, type EmbeddedStore } from './embeddedStore';

const noteSchema = z.strictObject({ id: z.string(), title: z.string(), count: z.number().int() });
type Note = z.infer<typeof noteSchema>;
const auditSchema = z.strictObject({ id: z.string(), chainId: z.string(), seq: z.number(), action: z.string() });

let store: EmbeddedStore;
let stores: Stores;
beforeAll(async () => {
  store = await startEmbeddedStore();
  stores = await ensureDatabase(store.client, 'accessmanager');
});
afterAll(async () => {
  await store.stop();
});

describe('point operations', () => {
  test('create then read returns the document without system properties, with its etag', async () => {
    const created = await createDoc(stores.requests, { id: 'n-1', title: 'first', count: 1 });
    const read = await readDoc(stores.requests, 'n-1', 'n-1', noteSchema);
    expect(read).toEqual({ doc: { id: 'n-1', title: 'first', count: 1 }, etag: created.etag });
    expect(Object.keys(read!.doc).some((key) => key.startsWith('_'))).toBe(false);
  });

  test('a missing document reads as undefined', async () => {
    await expect(readDoc(stores.requests, 'nope', 'nope', noteSchema)).resolves.toBeUndefined();
  });

  test('creating an existing id is a ConflictError naming the document', async () => {
    await createDoc(stores.requests, { id: 'n-dup', title: 'a', count: 0 });
    const again = createDoc(stores.requests, { id: 'n-dup', title: 'b', count: 0 });
    await expect(again).rejects.toBeInstanceOf(ConflictError);
    await expect(again).rejects.toThrow('requests/n-dup already exists');
  });

  test('replace needs the current etag: a new etag per write, 412 for a stale one, 404 when gone', async () => {
    const v1 = await createDoc(stores.requests, { id: 'n-2', title: 'v1', count: 1 });
    const v2 = await replaceDoc(stores.requests, { id: 'n-2', title: 'v2', count: 2 }, v1.etag);
    expect(v2.etag).not.toBe(v1.etag);
    const stale = replaceDoc(stores.requests, { id: 'n-2', title: 'lost', count: 3 }, v1.etag);
    await expect(stale).rejects.toBeInstanceOf(PreconditionFailedError);
    expect((await readDoc(stores.requests, 'n-2', 'n-2', noteSchema))?.doc.title).toBe('v2');
    await expect(replaceDoc(stores.requests, { id: 'n-gone', title: 'x', count: 0 }, v1.etag)).rejects.toBeInstanceOf(NotFoundError);
  });

  test('replace finds the partition key value itself, also where it is not the id', async () => {
    const first = await createDoc(stores.audit, { id: 'a-1', chainId: 'chain-7', seq: 1, action: 'request.created' });
    await replaceDoc(stores.audit, { ...first.doc, action: 'grant.created' }, first.etag);
    // A fresh handle that ensureDatabase never saw: the partition key path is read from the container once.
    const fresh = store.client.database('accessmanager').container('audit');
    const current = await readDoc(fresh, 'a-1', 'chain-7', auditSchema);
    await replaceDoc(fresh, { ...current!.doc, seq: 2 }, current!.etag);
    expect((await readDoc(stores.audit, 'a-1', 'chain-7', auditSchema))?.doc).toEqual({ id: 'a-1', chainId: 'chain-7', seq: 2, action: 'grant.created' });
    await expect(readDoc(stores.audit, 'a-1', 'a-1', auditSchema)).resolves.toBeUndefined();
  });

  test('upsert creates, then overwrites', async () => {
    await upsertDoc(stores.state, { id: 's-1', title: 'one', count: 1 });
    await upsertDoc(stores.state, { id: 's-1', title: 'two', count: 2 });
    expect((await readDoc(stores.state, 's-1', 's-1', noteSchema))?.doc.title).toBe('two');
  });

  test('delete reports whether the document existed; deleting what is gone succeeds', async () => {
    await createDoc(stores.grants, { id: 'g-1', title: 'g', count: 0 });
    await expect(deleteDoc(stores.grants, 'g-1', 'g-1')).resolves.toBe(true);
    await expect(deleteDoc(stores.grants, 'g-1', 'g-1')).resolves.toBe(false);
    await expect(readDoc(stores.grants, 'g-1', 'g-1', noteSchema)).resolves.toBeUndefined();
  });

  test('a stored document that does not decode is an InternalError naming container, id and field', async () => {
    await stores.requests.items.create({ id: 'n-bad', title: 42, count: 1 });
    const read = readDoc(stores.requests, 'n-bad', 'n-bad', noteSchema);
    await expect(read).rejects.toBeInstanceOf(InternalError);
    await expect(read).rejects.toThrow(/requests\/n-bad does not match its schema \(title: /);
  });

  test('ids Cosmos cannot store are refused before any call', async () => {
    const armId = '/subscriptions/x/resourceGroups/rg';
    await expect(createDoc(stores.coverage, { id: armId })).rejects.toThrow(/not storable/);
    await expect(readDoc(stores.coverage, armId, armId, noteSchema)).rejects.toBeInstanceOf(InternalError);
  });
});

describe('queryDocs', () => {
  beforeAll(async () => {
    for (let i = 0; i < 25; i += 1) {
      await createDoc(stores.audit, { id: `q-${String(i).padStart(2, '0')}`, chainId: i % 2 ? 'odd' : 'even', seq: i, action: 'paged' });
    }
  });
  const paged = { query: 'SELECT * FROM c WHERE c.action = @action ORDER BY c.seq', parameters: [{ name: '@action', value: 'paged' }] };

  test('pages with continuation tokens until none is left, losing and repeating nothing', async () => {
    const seen: number[] = [];
    const pageSizes: number[] = [];
    let continuationToken: string | undefined;
    do {
      const page = await queryDocs(stores.audit, paged, auditSchema, { maxItemCount: 10, ...(continuationToken ? { continuationToken } : {}) });
      pageSizes.push(page.items.length);
      seen.push(...page.items.map((doc) => doc.seq));
      continuationToken = page.continuationToken;
    } while (continuationToken);
    expect(pageSizes).toEqual([10, 10, 5]);
    expect(seen).toEqual(Array.from({ length: 25 }, (_, i) => i));
  });

  test('without maxItemCount every page is fetched and decoded', async () => {
    const all = await queryDocs(stores.audit, paged, auditSchema);
    expect(all.items).toHaveLength(25);
    expect(all.continuationToken).toBeUndefined();
    expect(all.items[0]).toEqual({ id: 'q-00', chainId: 'even', seq: 0, action: 'paged' });
  });

  test('partition-scoped query (with the key also in WHERE, see containers.ts) and VALUE results', async () => {
    const odd = await queryDocs(
      stores.audit,
      { query: 'SELECT VALUE c.id FROM c WHERE c.chainId = @chain AND c.action = @action', parameters: [{ name: '@chain', value: 'odd' }, { name: '@action', value: 'paged' }] },
      z.string(),
      { partitionKey: 'odd' },
    );
    expect(odd.items).toHaveLength(12);
  });

  test('a result that does not decode names the document', async () => {
    await expect(queryDocs(stores.audit, paged, noteSchema)).rejects.toThrow(/audit\/q-00 does not match its schema/);
  });
});

describe('storeOps', () => {
  test('counts each round-trip once per container, conflicts included', async () => {
    const before = store.ops.snapshot();
    const v1 = await createDoc(stores.coverage, { id: 'c-1', title: 't', count: 0 });
    await readDoc(stores.coverage, 'c-1', 'c-1', noteSchema);
    await readDoc(stores.coverage, 'missing', 'missing', noteSchema);
    await replaceDoc(stores.coverage, { id: 'c-1', title: 't', count: 1 }, v1.etag);
    await replaceDoc(stores.coverage, { id: 'c-1', title: 't', count: 2 }, v1.etag).catch(() => undefined);
    await upsertDoc(stores.coverage, { id: 'c-2', title: 't', count: 0 });
    await deleteDoc(stores.coverage, 'c-2', 'c-2');
    await queryDocs(stores.coverage, 'SELECT * FROM c', noteSchema, { maxItemCount: 100 });
    const used = diffStoreOps(before, store.ops.snapshot());
    expect(used.byContainer.coverage).toEqual({ reads: 2, creates: 1, replaces: 2, upserts: 1, deletes: 1, queries: 1, conflicts: 1, requestUnits: 8 });
    expect(used.total.reads).toBe(2);
  });

  test('reset clears every counter', async () => {
    await readDoc(stores.state, 'x', 'x', noteSchema);
    store.ops.reset();
    expect(store.ops.snapshot()).toEqual({ total: { reads: 0, creates: 0, replaces: 0, upserts: 0, deletes: 0, queries: 0, conflicts: 0, requestUnits: 0 }, byContainer: {} });
  });
});

export type { Note };
