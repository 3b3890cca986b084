import { startEmbeddedAuditStore } from './embeddedLedger';
test('bulk', async () => {
  const s = await startEmbeddedAuditStore();
  const st = await s.freshStores();
  const ops = Array.from({ length: 500 }, (_, i) => ({ operationType: 'Create' as const, resourceBody: { id: `c${i % 5}:${i}`, chainId: `c${i % 5}`, n: i } }));
  const t = Date.now();
  const res = await st.audit.items.executeBulkOperations(ops);
  process.stdout.write(`exec ${Date.now() - t}ms ${res.length} ${JSON.stringify(res[0]).slice(0, 300)}\n`);
  const t2 = Date.now();
  const res2 = await st.audit.items.bulk(ops.map((o) => ({ ...o, resourceBody: { ...o.resourceBody, id: o.resourceBody.id + 'b' } })));
  process.stdout.write(`bulk ${Date.now() - t2}ms ${res2.length} ${JSON.stringify(res2[0]).slice(0, 300)}\n`);
  const { resources } = await st.audit.items.query('SELECT VALUE COUNT(1) FROM c').fetchAll();
  process.stdout.write(`count ${JSON.stringify(resources)}\n`);
  await s.stop();
});
