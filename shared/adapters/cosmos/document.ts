/**
 * The only way the app touches Cosmos documents: point reads, writes and queries that decode
 * every document with its zod schema, strip Cosmos system properties, map failures to named
 * errors and count each round-trip in `storeOps`.
 */
import type { Container, ItemDefinition, PrimitivePartitionKeyValue, SqlQuerySpec } from '@azure/cosmos';
import type { ZodType } from 'zod';
import type { QueryPage } from '../../ports/page';
import { InternalError, NotFoundError } from '../../domain/errors';
import { toStoreError } from './storeErrors';

export type PartitionKeyValue = PrimitivePartitionKeyValue;

/** Every stored document has a string id (Cosmos requires it). */
export interface StoredDoc {
  id: string;
}

export interface VersionedDoc<T> {
  doc: T;
  /** Pass it back to `replaceDoc` (If-Match) to write only if nobody wrote in between. */
  etag: string;
}

export type { QueryPage };

export interface QueryOptions {
  /**
   * Scopes the query to one logical partition on real Cosmos DB. The embedded server IGNORES
   * it: also write the partition-key equality in the WHERE clause so both behave the same.
   */
  partitionKey?: PartitionKeyValue;
  /** Page size; with it one page is returned (a page may be short, even empty, while a token remains). Without it every page is fetched. */
  maxItemCount?: number;
  continuationToken?: string;
}

const SYSTEM_PROPERTIES = ['_rid', '_self', '_etag', '_attachments', '_ts'] as const;

/** Cosmos forbids these in ids; ARM ids contain `/`, so they must be hashed or encoded first. */
const FORBIDDEN_ID_CHARACTERS = /[/\\?#]/;

/** The document without Cosmos's bookkeeping fields; anything else is left for the schema to judge. */
export function stripSystemProperties(raw: unknown): unknown {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return raw;
  const copy: Record<string, unknown> = { ...(raw as Record<string, unknown>) };
  for (const key of SYSTEM_PROPERTIES) delete copy[key];
  return copy;
}

function describeIssues(issues: ReadonlyArray<{ path: ReadonlyArray<PropertyKey>; message: string }>): string {
  return issues
    .slice(0, 5)
    .map((issue) => `${issue.path.map(String).join('.') || '(document)'}: ${issue.message}`)
    .join('; ');
}

/** Decodes one stored document; a document that does not fit is our data bug, not the caller's. */
export function decodeDoc<T>(containerName: string, id: string, raw: unknown, schema: ZodType<T>): T {
  const parsed = schema.safeParse(stripSystemProperties(raw));
  if (!parsed.success) {
    throw new InternalError(
      `Stored document ${containerName}/${id} does not match its schema (${describeIssues(parsed.error.issues)}); fix or remove the document.`,
      'StoreDocumentInvalid',
      parsed.error.issues,
    );
  }
  return parsed.data;
}

export function assertStorableId(containerName: string, id: string): void {
  if (id.length === 0 || id.length > 255 || FORBIDDEN_ID_CHARACTERS.test(id)) {
    throw new InternalError(
      `Document id ${JSON.stringify(id)} for ${containerName} is not storable: Cosmos DB ids are 1-255 characters without / \\ ? #; derive one with deterministicGuid().`,
      'StoreInvalidId',
    );
  }
}

/** Runs one round-trip and maps its failure. */
async function roundTrip<R>(what: string, run: () => Promise<R>): Promise<R> {
  try {
    return await run();
  } catch (err) {
    throw toStoreError(err, what);
  }
}

function etagOf(response: { etag?: string; resource?: { _etag?: string } }, what: string): string {
  const etag = response.etag ?? response.resource?._etag;
  if (!etag) throw new InternalError(`Cosmos DB returned no ETag for ${what}.`, 'StoreNoEtag');
  return etag;
}

/** Point read by id and partition key value; `undefined` when it does not exist. */
export async function readDoc<T>(container: Container, id: string, pk: PartitionKeyValue, schema: ZodType<T>): Promise<VersionedDoc<T> | undefined> {
  assertStorableId(container.id, id);
  const what = `${container.id}/${id}`;
  let response;
  try {
    response = await roundTrip(what, () => container.item(id, pk).read<ItemDefinition>());
  } catch (err) {
    if (err instanceof NotFoundError) return undefined;
    throw err;
  }
  // The SDK answers a missing item with status 404 and no resource instead of throwing.
  if (response.statusCode === 404 || response.resource === undefined) return undefined;
  return { doc: decodeDoc(container.id, id, response.resource, schema), etag: etagOf(response, what) };
}

/** Creates a document; ConflictError when one with this id already exists in its partition. */
export async function createDoc<T extends StoredDoc>(container: Container, doc: T): Promise<VersionedDoc<T>> {
  assertStorableId(container.id, doc.id);
  const what = `${container.id}/${doc.id}`;
  const response = await roundTrip(what, () => container.items.create<T>(doc));
  return { doc, etag: etagOf(response, what) };
}

/**
 * Replaces a document only if its ETag still matches (If-Match): PreconditionFailedError when
 * someone wrote in between, NotFoundError when it was deleted. `pk` defaults to the value at the
 * container's partition-key path in `doc`.
 */
export async function replaceDoc<T extends StoredDoc>(container: Container, doc: T, etag: string, pk?: PartitionKeyValue): Promise<VersionedDoc<T>> {
  assertStorableId(container.id, doc.id);
  const what = `${container.id}/${doc.id}`;
  const partitionKey = pk ?? (await partitionKeyOf(container, doc));
  const response = await roundTrip(what, () =>
    container.item(doc.id, partitionKey).replace<T>(doc, { accessCondition: { type: 'IfMatch', condition: etag } }),
  );
  return { doc, etag: etagOf(response, what) };
}

/** Last writer wins: only for documents nobody read-modify-writes (use compareAndSwap for those). */
export async function upsertDoc<T extends StoredDoc>(container: Container, doc: T): Promise<VersionedDoc<T>> {
  assertStorableId(container.id, doc.id);
  const what = `${container.id}/${doc.id}`;
  const response = await roundTrip(what, () => container.items.upsert<T>(doc));
  return { doc, etag: etagOf(response, what) };
}

/** Deletes a document; deleting what is already gone is a success. Returns whether it existed. */
export async function deleteDoc(container: Container, id: string, pk: PartitionKeyValue): Promise<boolean> {
  assertStorableId(container.id, id);
  try {
    await roundTrip(`${container.id}/${id}`, () => container.item(id, pk).delete());
    return true;
  } catch (err) {
    if (err instanceof NotFoundError) return false;
    throw err;
  }
}

/**
 * Runs a query and decodes every result. Parameterise values (`@name`), never splice them into
 * the text. Results that are objects lose their system properties before decoding.
 */
export async function queryDocs<T>(container: Container, querySpec: SqlQuerySpec | string, schema: ZodType<T>, options: QueryOptions = {}): Promise<QueryPage<T>> {
  const what = `query on ${container.id}`;
  const iterator = container.items.query(querySpec, {
    ...(options.partitionKey !== undefined ? { partitionKey: options.partitionKey } : {}),
    ...(options.maxItemCount !== undefined ? { maxItemCount: options.maxItemCount } : {}),
    ...(options.continuationToken !== undefined ? { continuationToken: options.continuationToken } : {}),
  });
  const items: T[] = [];
  const decodeInto = (raw: unknown[]): void => {
    raw.forEach((item, index) => {
      const id = typeof item === 'object' && item !== null && typeof (item as StoredDoc).id === 'string' ? (item as StoredDoc).id : `(result ${items.length + index})`;
      items.push(decodeDoc(container.id, id, item, schema));
    });
  };
  if (options.maxItemCount !== undefined) {
    const page = await roundTrip(what, () => iterator.fetchNext());
    decodeInto(page.resources);
    return page.continuationToken ? { items, continuationToken: page.continuationToken } : { items };
  }
  while (iterator.hasMoreResults()) {
    const page = await roundTrip(what, () => iterator.fetchNext());
    decodeInto(page.resources);
  }
  return { items };
}

/** One page of a query's documents, each with its ETag (`_etag`), so a caller can replace one without reading it again. */
export async function queryVersionedDocs<T>(container: Container, querySpec: SqlQuerySpec, schema: ZodType<T>): Promise<Array<{ doc: T; etag?: string }>> {
  const page = await roundTrip(`query on ${container.id}`, () => container.items.query(querySpec).fetchNext());
  return page.resources.map((item: unknown, index: number) => {
    const raw = item as StoredDoc & { _etag?: unknown };
    const id = typeof raw?.id === 'string' ? raw.id : `(result ${index})`;
    return { doc: decodeDoc(container.id, id, item, schema), ...(typeof raw?._etag === 'string' ? { etag: raw._etag } : {}) };
  });
}

/** Partition-key paths by container URL: set by ensureDatabase, else read once from the container. */
const partitionKeyPaths = new Map<string, Promise<string>>();

export function rememberPartitionKeyPath(container: Container, path: string): void {
  partitionKeyPaths.set(container.url, Promise.resolve(path));
}

async function partitionKeyOf(container: Container, doc: object): Promise<PartitionKeyValue> {
  let path = partitionKeyPaths.get(container.url);
  if (!path) {
    path = container.read().then(({ resource }) => {
      const first = resource?.partitionKey?.paths?.[0];
      if (!first) throw new InternalError(`Container ${container.id} has no partition key path.`, 'StoreNoPartitionKey');
      return first;
    });
    partitionKeyPaths.set(container.url, path);
    path.catch(() => partitionKeyPaths.delete(container.url));
  }
  const segments = (await path).split('/').filter((segment) => segment.length > 0);
  let value: unknown = doc;
  for (const segment of segments) value = typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[segment] : undefined;
  if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') {
    throw new InternalError(`Document for ${container.id} has no partition key value at ${await path}.`, 'StoreNoPartitionKey');
  }
  return value;
}
