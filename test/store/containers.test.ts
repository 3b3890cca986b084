/** ensureDatabase against the embedded server: idempotent, race-safe, and strict about partition keys. */
import { ConfigError } from '../../shared/domain/errors';
import { CONTAINERS, ensureDatabase } from '../../shared/adapters/cosmos/containers';
import { startEmbeddedStore, type EmbeddedStore } from './embeddedStore';

let store: EmbeddedStore;
beforeAll(async () => {
  store = await startEmbeddedStore();
});
afterAll(async () => {
  await store.stop();
});

describe('ensureDatabase', () => {
  test('creates the database and every container, and a second run changes nothing', async () => {
    const first = await ensureDatabase(store.client, 'accessmanager');
    const second = await ensureDatabase(store.client, 'accessmanager');
    expect(Object.keys(first).sort()).toEqual(['audit', 'coverage', 'database', 'grants', 'requests', 'state']);
    expect(second.database.id).toBe('accessmanager');

    const { resources } = await store.client.database('accessmanager').containers.readAll().fetchAll();
    expect(resources.map((c) => c.id).sort()).toEqual(CONTAINERS.map((c) => c.name).sort());
    for (const definition of CONTAINERS) {
      const found = resources.find((c) => c.id === definition.name);
      expect(found?.partitionKey?.paths).toEqual([definition.partitionKey]);
      expect(found?.indexingPolicy?.excludedPaths).toEqual(definition.indexingPolicy.excludedPaths);
    }
    expect(resources.find((c) => c.id === 'audit')?.partitionKey?.paths).toEqual(['/chainId']);
    expect(second.requests.id).toBe('requests');
  });

  test('instances starting together all succeed', async () => {
    const all = await Promise.all([1, 2, 3, 4].map(() => ensureDatabase(store.client, 'racing')));
    expect(all.map((s) => s.grants.id)).toEqual(['grants', 'grants', 'grants', 'grants']);
  });

  test('accepts an extended list of containers and returns a handle for each', async () => {
    const extended = [...CONTAINERS, { name: 'exemptions', partitionKey: '/scopeKey', indexingPolicy: { automatic: true } }] as const;
    const stores = await ensureDatabase(store.client, 'extended', extended);
    expect(stores.exemptions.id).toBe('exemptions');
    expect(stores.audit.id).toBe('audit');
  });

  test('refuses an existing container whose partition key differs, naming both keys', async () => {
    await store.client.databases.createIfNotExists({ id: 'drifted' });
    await store.client.database('drifted').containers.create({ id: 'grants', partitionKey: { paths: ['/principalId'] } });
    const attempt = ensureDatabase(store.client, 'drifted');
    await expect(attempt).rejects.toBeInstanceOf(ConfigError);
    await expect(attempt).rejects.toThrow(/drifted\/grants exists with partition key \/principalId but AccessManager needs \/id/);
  });
});
