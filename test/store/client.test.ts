/** createCosmosClient: key or Entra credential, and trust in our local certificate only when given. */
import { z } from 'zod';
import { startEmbeddedCosmos, type EmbeddedCosmos } from '../../dev/cosmos';
import { generateLocalTls, type LocalTls } from '../../dev/tls';
import { ConfigError, InternalError } from '../../shared/domain/errors';
import { createCosmosClient, type TokenCredential } from '../../shared/adapters/cosmos/client';
import { ensureDatabase } from '../../shared/adapters/cosmos/containers';
import { createDoc, readDoc } from '../../shared/adapters/cosmos/document';

let tls: LocalTls;
let server: EmbeddedCosmos;
beforeAll(async () => {
  tls = await generateLocalTls();
  server = await startEmbeddedCosmos({ port: 0, tls });
});
afterAll(async () => {
  await server.stop();
});

type AccessToken = NonNullable<Awaited<ReturnType<TokenCredential['getToken']>>>;

const docSchema = z.object({ id: z.string(), by: z.string() });

test('the endpoint is https://localhost:PORT and key auth works end to end', async () => {
  expect(server.endpoint).toMatch(/^https:\/\/localhost:\d+$/);
  const client = createCosmosClient({ endpoint: server.endpoint, key: server.key, ca: tls.cert });
  try {
    const stores = await ensureDatabase(client, 'keyed');
    await createDoc(stores.state, { id: 'k', by: 'key' });
    expect((await readDoc(stores.state, 'k', 'k', docSchema))?.doc.by).toBe('key');
  } finally {
    client.dispose();
  }
});

test('with a credential and no key, requests carry Entra tokens for the account', async () => {
  const scopes: string[] = [];
  const credential: TokenCredential = {
    async getToken(scope): Promise<AccessToken> {
      scopes.push(...(Array.isArray(scope) ? scope : [scope]));
      return { token: 'local-token', expiresOnTimestamp: Date.now() + 3_600_000 };
    },
  };
  const client = createCosmosClient({ endpoint: server.endpoint, credential, ca: tls.cert });
  try {
    const stores = await ensureDatabase(client, 'entra');
    await createDoc(stores.state, { id: 'e', by: 'entra' });
    expect((await readDoc(stores.state, 'e', 'e', docSchema))?.doc.by).toBe('entra');
    expect(scopes.length).toBeGreaterThan(0);
    expect(scopes.every((scope) => scope.endsWith('/.default'))).toBe(true);
  } finally {
    client.dispose();
  }
});

test('latencyMs holds each request that long and the operation still succeeds; bad values are refused', async () => {
  const client = createCosmosClient({ endpoint: server.endpoint, key: server.key, ca: tls.cert });
  try {
    const stores = await ensureDatabase(client, 'slow');
    await createDoc(stores.state, { id: 's', by: 'latency' });
    server.latencyMs = 300;
    const order: string[] = [];
    const read = readDoc(stores.state, 's', 's', docSchema).then((r) => (order.push('read'), r));
    // Started before the read reaches the server, for half the latency: the held read can only answer after it.
    const timer = new Promise<void>((resolve) => setTimeout(resolve, 150)).then(() => order.push('timer'));
    const [found] = await Promise.all([read, timer]);
    expect(found?.doc.by).toBe('latency');
    expect(order).toEqual(['timer', 'read']);
  } finally {
    server.latencyMs = 0;
    client.dispose();
  }
  for (const bad of [-1, 1.5, 20_000]) {
    expect(() => {
      server.latencyMs = bad;
    }).toThrow(RangeError);
  }
  expect(server.latencyMs).toBe(0);
  await expect(startEmbeddedCosmos({ port: 0, tls, latencyMs: -1 })).rejects.toThrow(RangeError);
});

test('neither key nor credential is a ConfigError naming the endpoint', () => {
  expect(() => createCosmosClient({ endpoint: 'https://acct.documents.azure.com:443/' })).toThrow(ConfigError);
  expect(() => createCosmosClient({ endpoint: 'https://acct.documents.azure.com:443/' })).toThrow(/acct\.documents\.azure\.com.*COSMOS_KEY/);
});

test('without our CA the self-signed certificate is refused (a permanent error, not a retry)', async () => {
  const client = createCosmosClient({ endpoint: server.endpoint, key: server.key });
  try {
    const read = readDoc(client.database('keyed').container('state'), 'k', 'k', docSchema);
    await expect(read).rejects.toBeInstanceOf(InternalError);
    await expect(read).rejects.toThrow(/certificate/i);
  } finally {
    client.dispose();
  }
});
