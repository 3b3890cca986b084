/** Test fixture: one embedded Cosmos server per test file, a fresh database per scenario, the real SDK in between. */
import { randomBytes } from 'node:crypto';
import type { Container, CosmosClient } from '@azure/cosmos';
import { startEmbeddedCosmos, type EmbeddedCosmos } from '../../dev/cosmos';
import { generateLocalTls } from '../../dev/tls';
import { createCosmosClient } from '../../shared/adapters/cosmos/client';
import { ensureDatabase, type Stores } from '../../shared/adapters/cosmos/containers';
import { StoreOpCounter } from '../../bench/storeOps';

export interface EmbeddedAuditStore {
  client: CosmosClient;
  /** Every document operation the client made. */
  ops: StoreOpCounter;
  /** A new, empty database with every AccessManager container. */
  freshStores(): Promise<Stores>;
  stop(): Promise<void>;
}

export async function startEmbeddedAuditStore(): Promise<EmbeddedAuditStore> {
  const tls = await generateLocalTls();
  const server: EmbeddedCosmos = await startEmbeddedCosmos({ port: 0, tls });
  const ops = new StoreOpCounter();
  const client = createCosmosClient({ endpoint: server.endpoint, key: server.key, ca: tls.cert, httpClient: ops.httpClient() });
  return {
    client,
    ops,
    freshStores: () => ensureDatabase(client, `audit-${randomBytes(4).toString('hex')}`),
    async stop() {
      client.dispose();
      await server.stop();
    },
  };
}

/**
 * The real container, except that the next create fails with a socket timeout, either before it
 * reaches the store or after it was written (the answer is lost): a process dying mid-call.
 */
export function flakyCreates(real: Container): { container: Container; failNextCreate(when: 'before' | 'after'): void } {
  let pending: 'before' | 'after' | undefined;
  const items = new Proxy(real.items, {
    get(target, prop, receiver) {
      if (prop !== 'create') return Reflect.get(target, prop, receiver) as unknown;
      return async (doc: unknown) => {
        const when = pending;
        pending = undefined;
        if (when === 'before') throw Object.assign(new Error('socket timeout'), { code: 'ETIMEDOUT' });
        const result = await target.create(doc as never);
        if (when === 'after') throw Object.assign(new Error('socket timeout'), { code: 'ETIMEDOUT' });
        return result;
      };
    },
  });
  const container = new Proxy(real, { get: (target, prop, receiver) => (prop === 'items' ? items : (Reflect.get(target, prop, receiver) as unknown)) });
  return { container, failNextCreate: (when) => (pending = when) };
}
