/**
 * AccessManager's Cosmos containers (database `accessmanager` by default, as declared in
 * infra/shared/cosmos.json) and the idempotent start-up step that creates them. Add a container
 * to that file and its name to CONTAINER_NAMES; `Stores` grows with it.
 *
 * What the embedded server (@vercel/cosmosdb-server 1.0.1 + @azure/cosmos 4.9) supports, checked
 * by test/store/features.test.ts - design queries around these facts:
 *   yes  point read/create/replace/upsert/delete; If-Match on replace, upsert, delete and patch
 *        (412 on mismatch); a new random ETag on every write; 409 on duplicate create
 *   yes  WHERE on nested fields (c.a.b), ARRAY_CONTAINS (also partial-object match with `true`),
 *        STARTSWITH (2 arguments only), CONTAINS, LOWER, IN, ranges, IS_DEFINED, JOIN, EXISTS
 *        subqueries, COUNT/MAX, TOP (also `TOP @n`)
 *   yes  ORDER BY one field (also nested); cross-partition queries
 *   yes  maxItemCount + continuation tokens, resumable from a new query (also with ORDER BY)
 *   yes  ORDER BY two fields only with a composite index in EXACTLY that order and direction;
 *        unlike real Cosmos, the reversed index does not serve it, so declare both directions
 *   yes  patch (set/incr/..., with If-Match or a filter condition)
 *   NO   partition-scoped queries: the `partitionKey` query option is ignored (all partitions are
 *        searched). Always also write `c.<pk> = @pk` in the WHERE clause.
 *   NO   atomic transactional batch (operations before a failing one stay written)
 *   NO   DISTINCT, GROUP BY, OFFSET/LIMIT, LIKE, STARTSWITH(x, y, true)
 *   NO   TTL expiry (defaultTtl is stored, never enforced), change feed (returns everything,
 *        then 304 forever), stored procedures, key checking
 *   note `by` (and other SQL keywords) cannot be a property name in a query: write c["by"]
 */
import type { Container, CosmosClient, Database, IndexingPolicy } from '@azure/cosmos';
import cosmosSpec from '../../../infra/shared/cosmos.json';
import { ConfigError } from '../../domain/errors';
import { rememberPartitionKeyPath } from './document';
import { cosmosStatus, toStoreError } from './storeErrors';

export interface ContainerDefinition {
  name: string;
  /** Single path, e.g. `/id`. Cannot change once the container exists. */
  partitionKey: `/${string}`;
  indexingPolicy: IndexingPolicy;
  /** -1 enables per-document `ttl` without a default expiry (real Cosmos only; the embedded server ignores it). */
  defaultTtl?: number;
}

/**
 * The containers' names, so `Stores` can name each handle. The definitions themselves come from
 * infra/shared/cosmos.json, which infra/app/cosmos.bicep deploys: with Entra auth the deployed
 * app cannot create containers, so the code and the template must declare exactly the same ones.
 */
const CONTAINER_NAMES = ['requests', 'grants', 'coverage', 'audit', 'state'] as const;
type ContainerName = (typeof CONTAINER_NAMES)[number];

/** The file's containers, checked once at load: a name the code does not know (or one missing) is a broken build, not a runtime surprise. */
function containersFromSpec(spec: { containers: ReadonlyArray<{ name: string; partitionKey: string; indexingPolicy: unknown; defaultTtl?: number }> }) {
  const names = spec.containers.map((c) => c.name);
  if (names.length !== CONTAINER_NAMES.length || CONTAINER_NAMES.some((name) => !names.includes(name))) {
    throw new ConfigError(`infra/shared/cosmos.json declares containers ${names.join(', ')}; the code expects ${CONTAINER_NAMES.join(', ')}.`);
  }
  return spec.containers.map((c) => {
    if (!c.partitionKey.startsWith('/')) throw new ConfigError(`infra/shared/cosmos.json: container ${c.name} has partition key ${c.partitionKey}, which is not a path.`);
    return {
      name: c.name as ContainerName,
      partitionKey: c.partitionKey as `/${string}`,
      indexingPolicy: c.indexingPolicy as IndexingPolicy,
      ...(c.defaultTtl !== undefined ? { defaultTtl: c.defaultTtl } : {}),
    };
  });
}

export const CONTAINERS: ReadonlyArray<ContainerDefinition & { name: ContainerName }> = containersFromSpec(cosmosSpec);

export type StoresOf<D extends readonly ContainerDefinition[]> = { database: Database } & { [K in D[number]['name']]: Container };

export type Stores = StoresOf<typeof CONTAINERS>;

/**
 * Creates the database and containers when missing and returns handles to them. Safe to run
 * concurrently from several instances and on every start. An existing container with another
 * partition key is a configuration error (it cannot be changed in place); indexing policy
 * differences are left alone.
 */
export async function ensureDatabase<const D extends readonly ContainerDefinition[] = typeof CONTAINERS>(
  client: CosmosClient,
  databaseName: string,
  containers: D = CONTAINERS as unknown as D,
): Promise<StoresOf<D>> {
  const database = await createIfMissing(`database ${databaseName}`, async () => (await client.databases.createIfNotExists({ id: databaseName })).database, () => client.database(databaseName));
  // allSettled: never return (or throw) while a sibling creation is still in flight.
  const settled = await Promise.allSettled(containers.map((definition) => ensureContainer(database, definition)));
  const stores: Record<string, Container | Database> = { database };
  containers.forEach((definition, index) => {
    const outcome = settled[index]!;
    if (outcome.status === 'rejected') throw outcome.reason;
    stores[definition.name] = outcome.value;
  });
  return stores as StoresOf<D>;
}

async function ensureContainer(database: Database, definition: ContainerDefinition): Promise<Container> {
  const what = `container ${database.id}/${definition.name}`;
  const container = await createIfMissing(
    what,
    async () =>
      (
        await database.containers.createIfNotExists({
          id: definition.name,
          partitionKey: { paths: [definition.partitionKey] },
          indexingPolicy: definition.indexingPolicy,
          ...(definition.defaultTtl !== undefined ? { defaultTtl: definition.defaultTtl } : {}),
        })
      ).container,
    () => database.container(definition.name),
  );
  const { resource } = await container.read().catch((err: unknown) => {
    throw toStoreError(err, what);
  });
  const actual = resource?.partitionKey?.paths?.[0];
  if (actual !== definition.partitionKey) {
    throw new ConfigError(
      `Cosmos ${what} exists with partition key ${actual ?? '(none)'} but AccessManager needs ${definition.partitionKey}; migrate its data to a new container or use another database (COSMOS_DATABASE).`,
    );
  }
  rememberPartitionKeyPath(container, definition.partitionKey);
  return container;
}

/** createIfNotExists reads then creates: another instance may create in between (409), which is fine. */
async function createIfMissing<R>(what: string, create: () => Promise<R>, existing: () => R): Promise<R> {
  try {
    return await create();
  } catch (err) {
    if (cosmosStatus(err) === 409) return existing();
    throw toStoreError(err, what);
  }
}
