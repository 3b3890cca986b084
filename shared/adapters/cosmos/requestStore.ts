/** Requests in Cosmos (container `requests`, partition key `/id`): point reads by id, CAS for every change. */
import type { Container, SqlParameter } from '@azure/cosmos';
import { AppError, NotFoundError, PreconditionFailedError, ValidationError } from '../../domain/errors';
import { ABORT, compareAndSwap, type Mutation } from './cas';
import { createDoc, queryDocs, readDoc, replaceDoc, type QueryPage } from './document';
import { accessRequestSchema, type AccessRequest } from '../../domain/requests/model';
import type { RequestFilter, RequestRepository } from '../../ports/requests';

export class RequestStore implements RequestRepository {
  constructor(private readonly container: Container) {}

  async get(id: string): Promise<AccessRequest | undefined> {
    return (await readDoc(this.container, id, id, accessRequestSchema))?.doc;
  }

  async mustGet(id: string): Promise<AccessRequest> {
    const found = await this.get(id);
    if (!found) throw new NotFoundError(`Request ${id} does not exist.`, 'RequestNotFound');
    return found;
  }

  async create(request: AccessRequest): Promise<{ request: AccessRequest; etag: string }> {
    const written = await createDoc(this.container, request);
    return { request: written.doc, etag: written.etag };
  }

  /**
   * Read-modify-write through the ETag helper. `mutate` is pure: return the new request,
   * the same one (no write), or throw a domain error to stop.
   */
  async update(
    id: string,
    mutate: (current: AccessRequest) => AccessRequest | Promise<AccessRequest>,
    known?: { request: AccessRequest; etag: string },
  ): Promise<{ request: AccessRequest; changed: boolean; etag?: string }> {
    if (known) {
      // A version this caller just wrote: the first attempt replaces it without reading again.
      const next = await mutate(known.request);
      if (next === known.request) return { request: known.request, changed: false, etag: known.etag };
      try {
        const written = await replaceDoc(this.container, next, known.etag, id);
        return { request: written.doc, changed: true, etag: written.etag };
      } catch (err) {
        if (!(err instanceof PreconditionFailedError)) throw err;
      }
    }
    const result = await compareAndSwap(this.container, id, id, accessRequestSchema, async (current): Promise<Mutation<AccessRequest>> => {
      if (!current) throw new NotFoundError(`Request ${id} does not exist.`, 'RequestNotFound');
      const next = await mutate(current);
      return next === current ? ABORT : next;
    });
    if (!result.doc) throw new NotFoundError(`Request ${id} does not exist.`, 'RequestNotFound');
    return { request: result.doc, changed: result.changed, ...(result.etag ? { etag: result.etag } : {}) };
  }

  async withPendingAudit(limit = 200): Promise<AccessRequest[]> {
    const page = await queryDocs(this.container, { query: 'SELECT TOP @n * FROM c WHERE IS_DEFINED(c.outbox)', parameters: [{ name: '@n', value: limit }] }, accessRequestSchema);
    return page.items;
  }

  async list(filter: RequestFilter): Promise<QueryPage<AccessRequest>> {
    const where: string[] = [];
    const parameters: SqlParameter[] = [];
    if (filter.status) {
      where.push('c.status = @status');
      parameters.push({ name: '@status', value: filter.status });
    }
    if (filter.requesterId) {
      where.push('LOWER(c.requester.id) = @requester');
      parameters.push({ name: '@requester', value: filter.requesterId.toLowerCase() });
    }
    if (filter.renewsGrantId) {
      where.push('c.renewsGrantId = @renews');
      parameters.push({ name: '@renews', value: filter.renewsGrantId });
    }
    const approverClauses = (who: { userId: string; groupIds: string[] }): string[] => {
      parameters.push({ name: '@approverUser', value: who.userId.toLowerCase() });
      return ['ARRAY_CONTAINS(c.approverUsers, @approverUser)', ...who.groupIds.map((g, i) => {
        parameters.push({ name: `@g${i}`, value: g.toLowerCase() });
        return `ARRAY_CONTAINS(c.approverGroups, @g${i})`;
      })];
    };
    if (filter.approver) where.push(`(${approverClauses(filter.approver).join(' OR ')})`);
    else if (filter.involving) {
      parameters.push({ name: '@me', value: filter.involving.userId.toLowerCase() });
      where.push(`(${['LOWER(c.requester.id) = @me', 'LOWER(c.principalId) = @me', ...approverClauses(filter.involving)].join(' OR ')})`);
    }
    const query = `SELECT * FROM c${where.length ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY c.createdAt DESC`;
    return withCallerToken(filter.continuationToken, () =>
      queryDocs(this.container, { query, parameters }, accessRequestSchema, {
        maxItemCount: filter.maxItemCount ?? 50,
        continuationToken: filter.continuationToken,
      }),
    );
  }

  /** Approved requests whose grant has not been recorded yet: the fulfilment backlog the timer retries. */
  async unfulfilled(limit = 100): Promise<AccessRequest[]> {
    const page = await queryDocs(
      this.container,
      { query: 'SELECT TOP @n * FROM c WHERE c.status = "approved" AND c.fulfilled = false', parameters: [{ name: '@n', value: limit }] },
      accessRequestSchema,
    );
    return page.items;
  }

  /** Pending requests past their deadline. */
  async overdue(now: Date, limit = 500): Promise<AccessRequest[]> {
    const page = await queryDocs(
      this.container,
      {
        query: 'SELECT TOP @n * FROM c WHERE c.status = "pending" AND c.expiresAt <= @now',
        parameters: [
          { name: '@n', value: limit },
          { name: '@now', value: now.toISOString() },
        ],
      },
      accessRequestSchema,
    );
    return page.items;
  }
}

/**
 * Runs a page query that resumes from a continuation token a caller sent back. Cosmos refuses a
 * token it cannot read (400), which the store reports as a generic `StoreError`: with a token in
 * play that is the caller's mistake (400 InvalidContinuationToken), not an outage of ours (500).
 */
export async function withCallerToken<T>(continuationToken: string | undefined, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (err) {
    if (continuationToken === undefined || !(err instanceof AppError) || err.transient || err.code !== 'StoreError') throw err;
    throw new ValidationError('The continuationToken is not one this API gave for this query; drop it to start from the first page.', 'InvalidContinuationToken');
  }
}
