/**
 * A quick measurement, not an assertion: point reads and CAS updates per second against the
 * embedded server through the real SDK over HTTPS, printed for the benchmarks and DESIGN.md.
 */
import { z } from 'zod';
import { compareAndSwap } from '../../shared/adapters/cosmos/cas';
import { ensureDatabase, type Stores } from '../../shared/adapters/cosmos/containers';
import { createDoc, readDoc } from '../../shared/adapters/cosmos/document';
import { startEmbeddedStore, type EmbeddedStore } from './embeddedStore';

const counterSchema = z.object({ id: z.string(), value: z.number() });

let store: EmbeddedStore;
let stores: Stores;
beforeAll(async () => {
  store = await startEmbeddedStore();
  stores = await ensureDatabase(store.client, 'accessmanager');
  for (let i = 0; i < 16; i += 1) await createDoc(stores.state, { id: `t-${i}`, value: 0 });
});
afterAll(async () => {
  await store.stop();
});

async function rate(label: string, total: number, concurrency: number, op: (i: number) => Promise<unknown>): Promise<number> {
  let next = 0;
  const started = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < total) await op(next++);
    }),
  );
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const perSecond = Math.round(total / seconds);
  console.log(`${label}: ${total} in ${(seconds * 1000).toFixed(0)} ms = ${perSecond} ops/s`);
  return perSecond;
}

test('measures point reads and CAS updates per second', async () => {
  await rate('warm-up reads', 100, 4, (i) => readDoc(stores.state, `t-${i % 16}`, `t-${i % 16}`, counterSchema));
  const rates = [
    await rate('point reads, 1 in flight', 600, 1, (i) => readDoc(stores.state, `t-${i % 16}`, `t-${i % 16}`, counterSchema)),
    await rate('point reads, 8 in flight', 1000, 8, (i) => readDoc(stores.state, `t-${i % 16}`, `t-${i % 16}`, counterSchema)),
    // One document per in-flight writer: no contention, so each update is exactly one read + one replace.
    await rate('CAS updates, 1 in flight', 300, 1, () => compareAndSwap(stores.state, 't-0', 't-0', counterSchema, (c) => ({ ...c!, value: c!.value + 1 }))),
    await rate('CAS updates, 8 in flight on 8 docs', 400, 8, (i) =>
      compareAndSwap(stores.state, `t-${i % 8}`, `t-${i % 8}`, counterSchema, (c) => ({ ...c!, value: c!.value + 1 })),
    ),
  ];
  expect(rates.every((r) => r > 0)).toBe(true);
});
