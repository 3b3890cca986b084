/**
 * Pins down what the embedded Cosmos server supports (the fact list atop shared/store/containers.ts),
 * so a server upgrade that changes any of it shows up here first.
 */
import type { Container } from '@azure/cosmos';
import { startEmbeddedStore, type EmbeddedStore } from './embeddedStore';

let store: EmbeddedStore;
let items: Container;
beforeAll(async () => {
  store = await startEmbeddedStore();
  const { database } = await store.client.databases.createIfNotExists({ id: 'features' });
  ({ container: items } = await database.containers.createIfNotExists({
    id: 'items',
    partitionKey: { paths: ['/pk'] },
    indexingPolicy: {
      excludedPaths: [{ path: '/text/?' }],
      compositeIndexes: [
        [
          { path: '/at', order: 'ascending' },
          { path: '/id', order: 'ascending' },
        ],
      ],
    },
  }));
  for (let i = 0; i < 12; i += 1) {
    await items.items.create({ id: `d${String(i).padStart(2, '0')}`, pk: `p${i % 3}`, at: `2026-01-0${i % 4}`, n: 12 - i, who: { id: `u${i % 5}` }, tags: [i % 2 ? 'odd' : 'even'], approvals: [{ approverId: `a${i % 2}` }], text: `note ${i}` });
  }
});
afterAll(async () => {
  await store.stop();
});

async function values(query: string, parameters: Array<{ name: string; value: string | number | string[] }> = []): Promise<unknown[]> {
  return (await items.items.query({ query, parameters }).fetchAll()).resources;
}
async function rejects(query: string): Promise<number | undefined> {
  try {
    await values(query);
    return undefined;
  } catch (err) {
    return (err as { code?: number }).code;
  }
}

describe('embedded Cosmos supports', () => {
  test('filters: nested fields, ARRAY_CONTAINS (also partial match), STARTSWITH, IN, ranges, JOIN, EXISTS', async () => {
    expect(await values('SELECT VALUE c.id FROM c WHERE c.who.id = @w', [{ name: '@w', value: 'u1' }])).toEqual(['d01', 'd06', 'd11']);
    expect(await values("SELECT VALUE c.id FROM c WHERE ARRAY_CONTAINS(c.tags, 'odd')")).toHaveLength(6);
    expect(await values("SELECT VALUE c.id FROM c WHERE ARRAY_CONTAINS(c.approvals, {approverId: 'a1'}, true)")).toHaveLength(6);
    expect(await values('SELECT VALUE c.id FROM c WHERE ARRAY_CONTAINS(@ids, c.id)', [{ name: '@ids', value: ['d01', 'd02'] }])).toEqual(['d01', 'd02']);
    expect(await values("SELECT VALUE c.id FROM c WHERE STARTSWITH(c.id, 'd1')")).toEqual(['d10', 'd11']);
    expect(await values("SELECT VALUE c.id FROM c WHERE c.at >= '2026-01-02' AND c.at < '2026-01-03'")).toEqual(['d02', 'd06', 'd10']);
    expect(await values("SELECT VALUE c.id FROM c JOIN a IN c.approvals WHERE a.approverId = 'a1'")).toHaveLength(6);
    expect(await values("SELECT VALUE c.id FROM c WHERE EXISTS(SELECT VALUE a FROM a IN c.approvals WHERE a.approverId = 'a1')")).toHaveLength(6);
  });

  test('ORDER BY one field, TOP, COUNT', async () => {
    expect((await values('SELECT VALUE c.id FROM c ORDER BY c.n')).slice(0, 2)).toEqual(['d11', 'd10']);
    expect(await values('SELECT TOP @k VALUE c.id FROM c ORDER BY c.id DESC', [{ name: '@k', value: 2 }])).toEqual(['d11', 'd10']);
    expect(await values('SELECT VALUE COUNT(1) FROM c')).toEqual([12]);
  });

  test('ORDER BY two fields needs a composite index in exactly that direction (the reverse is refused, unlike real Cosmos)', async () => {
    expect((await values('SELECT VALUE c.id FROM c ORDER BY c.at, c.id')).slice(0, 3)).toEqual(['d00', 'd04', 'd08']);
    expect(await rejects('SELECT VALUE c.id FROM c ORDER BY c.at DESC, c.id DESC')).toBe(400);
  });

  test('maxItemCount pages with continuation tokens that a new query can resume', async () => {
    const query = 'SELECT VALUE c.id FROM c ORDER BY c.id';
    const first = await items.items.query(query, { maxItemCount: 5 }).fetchNext();
    const second = await items.items.query(query, { maxItemCount: 5, continuationToken: first.continuationToken! }).fetchNext();
    expect(first.resources).toEqual(['d00', 'd01', 'd02', 'd03', 'd04']);
    expect(second.resources).toEqual(['d05', 'd06', 'd07', 'd08', 'd09']);
  });

  test('If-Match on replace, upsert and delete (412), and a new ETag on every write', async () => {
    const created = await items.items.create({ id: 'etag-1', pk: 'p0' });
    const replaced = await items.item('etag-1', 'p0').replace({ id: 'etag-1', pk: 'p0', v: 1 }, { accessCondition: { type: 'IfMatch', condition: created.etag! } });
    expect(replaced.etag).not.toBe(created.etag);
    const stale = { accessCondition: { type: 'IfMatch', condition: created.etag! } };
    await expect(items.item('etag-1', 'p0').replace({ id: 'etag-1', pk: 'p0', v: 2 }, stale)).rejects.toMatchObject({ code: 412 });
    await expect(items.items.upsert({ id: 'etag-1', pk: 'p0', v: 2 }, stale)).rejects.toMatchObject({ code: 412 });
    await expect(items.item('etag-1', 'p0').delete(stale)).rejects.toMatchObject({ code: 412 });
  });

  test('patch with If-Match and conditions', async () => {
    const { resource } = await items.item('d00', 'p0').patch([{ op: 'incr', path: '/n', value: 5 }]);
    expect(resource?.n).toBe(17);
    await expect(items.item('d00', 'p0').patch([{ op: 'set', path: '/n', value: 0 }], { accessCondition: { type: 'IfMatch', condition: 'stale' } })).rejects.toMatchObject({ code: 412 });
    await expect(items.item('d00', 'p0').patch({ condition: 'from c where c.n = 0', operations: [{ op: 'set', path: '/n', value: 1 }] })).rejects.toMatchObject({ code: 412 });
  });
});

describe('embedded Cosmos does NOT support (design around it)', () => {
  test('partition-scoped queries: the partitionKey option is ignored, the WHERE clause is not', async () => {
    const unscoped = (await items.items.query<string>('SELECT VALUE c.id FROM c', { partitionKey: 'p1' }).fetchAll()).resources;
    expect(unscoped).toEqual(expect.arrayContaining(['d00', 'd01', 'd02'])); // p0, p1 and p2
    expect(
      await items.items
        .query({ query: 'SELECT VALUE c.id FROM c WHERE c.pk = @pk', parameters: [{ name: '@pk', value: 'p1' }] }, { partitionKey: 'p1' })
        .fetchAll()
        .then((r) => r.resources.length),
    ).toBe(4);
  });

  test('atomic transactional batch: writes before a failing operation stay', async () => {
    const { result } = await items.items.batch(
      [
        { operationType: 'Create', resourceBody: { id: 'batch-1', pk: 'p0' } },
        { operationType: 'Create', resourceBody: { id: 'd00', pk: 'p0' } },
      ],
      'p0',
    );
    expect(result?.map((r) => r.statusCode)).toEqual([201, 409]);
    expect((await items.item('batch-1', 'p0').read()).statusCode).toBe(200);
  });

  test('DISTINCT, GROUP BY, OFFSET/LIMIT, LIKE, case-insensitive STARTSWITH are rejected', async () => {
    expect(await rejects('SELECT DISTINCT VALUE c.pk FROM c')).toBe(400);
    expect(await rejects('SELECT c.pk, COUNT(1) AS n FROM c GROUP BY c.pk')).toBe(400);
    expect(await rejects('SELECT VALUE c.id FROM c ORDER BY c.id OFFSET 2 LIMIT 2')).toBe(400);
    expect(await rejects("SELECT VALUE c.id FROM c WHERE c.id LIKE 'd0%'")).toBe(400);
    expect(await rejects("SELECT VALUE c.id FROM c WHERE STARTSWITH(c.id, 'D0', true)")).toBe(400);
  });

  test('`by` cannot be a property name in a query without brackets', async () => {
    expect(await rejects('SELECT VALUE c.id FROM c WHERE c.by = 1')).toBe(400);
    expect(await values('SELECT VALUE c.id FROM c WHERE c["by"] = 1')).toEqual([]);
  });
});
