/**
 * The embedded store's own pace, through the real SDK over HTTPS: point reads and compare-and-swap
 * updates per second, one and eight in flight. Every local figure sits on top of this.
 */
import { z } from 'zod';
import { startEmbeddedCosmos } from '../dev/cosmos';
import { generateLocalTls } from '../dev/tls';
import { compareAndSwap } from '../shared/adapters/cosmos/cas';
import { createCosmosClient } from '../shared/adapters/cosmos/client';
import { ensureDatabase } from '../shared/adapters/cosmos/containers';
import { createDoc, readDoc } from '../shared/adapters/cosmos/document';

const counterSchema = z.object({ id: z.string(), value: z.number() });

async function rate(total: number, concurrency: number, op: (i: number) => Promise<unknown>): Promise<number> {
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < total) await op(next++);
    }),
  );
  return Math.round(total / ((performance.now() - started) / 1000));
}

export async function benchStore(): Promise<Record<string, number>> {
  const tls = await generateLocalTls();
  const server = await startEmbeddedCosmos({ port: 0, tls });
  const client = createCosmosClient({ endpoint: server.endpoint, key: server.key, ca: tls.cert });
  try {
    const { state } = await ensureDatabase(client, 'bench-store');
    for (let i = 0; i < 16; i += 1) await createDoc(state, { id: `t-${i}`, value: 0 });
    const read = (i: number) => readDoc(state, `t-${i % 16}`, `t-${i % 16}`, counterSchema);
    const increment = (id: string) => compareAndSwap(state, id, id, counterSchema, (c) => ({ ...c!, value: c!.value + 1 }));
    await rate(100, 4, read);
    return {
      pointReadsPerSec1: await rate(600, 1, read),
      pointReadsPerSec8: await rate(1000, 8, read),
      casUpdatesPerSec1: await rate(300, 1, () => increment('t-0')),
      // One document per in-flight writer: no contention, so each update is exactly one read and one replace.
      casUpdatesPerSec8: await rate(400, 8, (i) => increment(`t-${i % 8}`)),
    };
  } finally {
    client.dispose();
    await server.stop();
  }
}
