/**
 * The one compare-and-swap loop behind every read-modify-write in Cosmos: read with ETag, apply
 * a pure mutation, write with If-Match (or create when missing), and on a lost race re-read and
 * try again after a short jittered pause. Several Function instances may race on one document;
 * none of their changes is lost and each mutation is applied to the state it actually replaced.
 */
import type { Container } from '@azure/cosmos';
import type { ZodType } from 'zod';
import { ConflictError, InternalError, NotFoundError, PreconditionFailedError, TransientError } from '../../domain/errors';
import { createDoc, readDoc, replaceDoc, type PartitionKeyValue, type StoredDoc } from './document';

/** Returned by a mutation to say "leave the document as it is" (same effect as returning `current` or `undefined`). */
export const ABORT: unique symbol = Symbol('compareAndSwap.abort');

export type Mutation<T> = T | undefined | typeof ABORT;

/**
 * Receives the current document (deep-frozen: return a new object, never edit it) or `undefined`
 * when it does not exist. May run several times, so it must not have side effects. Throwing
 * (e.g. ConflictError "already approved") ends the swap and reaches the caller unchanged.
 */
export type Mutate<T> = (current: T | undefined) => Mutation<T> | Promise<Mutation<T>>;

export interface CompareAndSwapOptions {
  /** Total read-modify-write rounds before giving up with TransientError. Default 10. */
  maxAttempts?: number;
  /** Allow creating the document when it is missing. Default false: a new document from mutate is then a NotFoundError. */
  create?: boolean;
}

export interface CompareAndSwapResult<T> {
  /** The document as stored after the swap (the written one, or the unchanged current one). */
  doc: T | undefined;
  /** ETag of `doc`, when it exists. */
  etag?: string;
  /** Read-modify-write rounds used (1 when nobody raced us). */
  attempts: number;
  /** Whether this call wrote. */
  changed: boolean;
}

const DEFAULT_MAX_ATTEMPTS = 10;
const BASE_BACKOFF_MS = 10;
const MAX_BACKOFF_MS = 200;

/** Full jitter, growing per attempt: racers spread out instead of colliding again in lockstep. */
export function backoffMs(attempt: number, random: () => number = Math.random): number {
  const ceiling = Math.min(MAX_BACKOFF_MS, BASE_BACKOFF_MS * 2 ** Math.min(attempt, 10));
  return Math.floor(random() * ceiling);
}

function deepFreeze<V>(value: V): V {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value as Record<string, unknown>)) deepFreeze(child);
  }
  return value;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export async function compareAndSwap<T extends StoredDoc>(
  container: Container,
  id: string,
  pk: PartitionKeyValue,
  schema: ZodType<T>,
  mutate: Mutate<T>,
  opts: CompareAndSwapOptions = {},
): Promise<CompareAndSwapResult<T>> {
  const maxAttempts = opts.maxAttempts ?? DEFAULT_MAX_ATTEMPTS;
  const what = `${container.id}/${id}`;
  for (let attempt = 1; attempt <= maxAttempts; attempt += 1) {
    const current = await readDoc(container, id, pk, schema);
    const currentDoc = current ? deepFreeze(current.doc) : undefined;
    const next = await mutate(currentDoc);
    if (next === ABORT || next === undefined || next === currentDoc) {
      return { doc: currentDoc, ...(current ? { etag: current.etag } : {}), attempts: attempt, changed: false };
    }
    if (next.id !== id) {
      throw new InternalError(`compareAndSwap on ${what}: the mutation returned a document with id ${JSON.stringify(next.id)}.`, 'StoreCasIdChanged');
    }
    try {
      const written = current ? await replaceDoc(container, next, current.etag, pk) : await createNew(container, next, what, opts.create === true);
      return { doc: written.doc, etag: written.etag, attempts: attempt, changed: true };
    } catch (err) {
      // 412: someone replaced it; 404: someone deleted it; 409 on create: someone created it first.
      const lostRace =
        err instanceof PreconditionFailedError || (current !== undefined && err instanceof NotFoundError) || (current === undefined && err instanceof ConflictError);
      if (!lostRace) throw err;
    }
    if (attempt < maxAttempts) await sleep(backoffMs(attempt));
  }
  throw new TransientError(`${what} kept changing under us: gave up after ${maxAttempts} attempts; retry later.`, 'StoreContention');
}

async function createNew<T extends StoredDoc>(container: Container, doc: T, what: string, allowCreate: boolean) {
  if (!allowCreate) throw new NotFoundError(`${what} does not exist.`, 'StoreNotFound');
  return createDoc(container, doc);
}
