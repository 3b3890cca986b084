/** Test fixture: one embedded Cosmos server per test file, spoken to by the real SDK over HTTPS. */
import type { CosmosClient } from '@azure/cosmos';
import { startEmbeddedCosmos, type EmbeddedCosmos } from '../../dev/cosmos';
import { generateLocalTls } from '../../dev/tls';
import { createCosmosClient } from '../../shared/adapters/cosmos/client';
import { StoreOpCounter } from '../../bench/storeOps';

export interface EmbeddedStore {
  server: EmbeddedCosmos;
  client: CosmosClient;
  /** Every document operation the client made. */
  ops: StoreOpCounter;
  stop(): Promise<void>;
}

export async function startEmbeddedStore(): Promise<EmbeddedStore> {
  const tls = await generateLocalTls();
  const server = await startEmbeddedCosmos({ port: 0, tls });
  const ops = new StoreOpCounter();
  const client = createCosmosClient({ endpoint: server.endpoint, key: server.key, ca: tls.cert, httpClient: ops.httpClient() });
  return {
    server,
    client,
    ops,
    async stop() {
      client.dispose();
      await server.stop();
    },
  };
}
