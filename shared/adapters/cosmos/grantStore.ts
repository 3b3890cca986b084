/**
 * Grants (container `grants`, pk `/id`) and their coverage index (container `coverage`,
 * pk `/id`). The enforcer's hot path is one point read of a coverage document.
 */
import type { Container, SqlParameter } from '@azure/cosmos';
import type { CoverageKey, GrantFilter, GrantRepository } from '../../ports/grants';
import { scopeKey } from '../../domain/armIds';
import { ConflictError, NotFoundError, PreconditionFailedError } from '../../domain/errors';
import { ABORT, compareAndSwap, type Mutation } from './cas';
import { createDoc, queryDocs, queryVersionedDocs, readDoc, replaceDoc, type QueryPage } from './document';
import { withCallerToken } from './requestStore';
import { coverageKey, coverageSchema, grantSchema, type Coverage, type Grant } from '../../domain/grants/grant';

export class GrantStore implements GrantRepository {
  constructor(
    private readonly grants: Container,
    private readonly coverage: Container,
  ) {}

  async get(id: string): Promise<Grant | undefined> {
    return (await readDoc(this.grants, id, id, grantSchema))?.doc;
  }

  async mustGet(id: string): Promise<Grant> {
    const grant = await this.get(id);
    if (!grant) throw new NotFoundError(`Grant ${id} does not exist.`, 'GrantNotFound');
    return grant;
  }

  /** Creates the grant; when it already exists (a retried fulfilment) returns the stored one. */
  async createOrGet(grant: Grant): Promise<{ grant: Grant; created: boolean; etag?: string }> {
    try {
      const written = await createDoc(this.grants, grant);
      return { grant: written.doc, created: true, etag: written.etag };
    } catch (err) {
      if (!(err instanceof ConflictError)) throw err;
      return { grant: await this.mustGet(grant.id), created: false };
    }
  }

  /**
   * Read-modify-write with ETags. With `known` (a version this caller just wrote), the first
   * attempt replaces it without reading again; a 412 falls back to the usual read and retry.
   */
  async update(id: string, mutate: (current: Grant) => Grant, known?: { grant: Grant; etag: string }): Promise<{ grant: Grant; changed: boolean; etag?: string }> {
    if (known) {
      const next = mutate(known.grant);
      if (next === known.grant) return { grant: known.grant, changed: false, etag: known.etag };
      try {
        const written = await replaceDoc(this.grants, next, known.etag, id);
        return { grant: written.doc, changed: true, etag: written.etag };
      } catch (err) {
        if (!(err instanceof PreconditionFailedError)) throw err;
      }
    }
    const result = await compareAndSwap(this.grants, id, id, grantSchema, (current): Mutation<Grant> => {
      if (!current) throw new NotFoundError(`Grant ${id} does not exist.`, 'GrantNotFound');
      const next = mutate(current);
      return next === current ? ABORT : next;
    });
    if (!result.doc) throw new NotFoundError(`Grant ${id} does not exist.`, 'GrantNotFound');
    return { grant: result.doc, changed: result.changed, etag: result.etag };
  }

  async list(filter: GrantFilter): Promise<QueryPage<Grant>> {
    const where: string[] = [];
    const parameters: SqlParameter[] = [];
    if (filter.principalId) {
      where.push('c.principalId = @principal');
      parameters.push({ name: '@principal', value: filter.principalId.toLowerCase() });
    }
    if (filter.scope) {
      const key = scopeKey(filter.scope);
      where.push('(c.scopeKey = @scope OR STARTSWITH(c.scopeKey, @scopePrefix))');
      parameters.push({ name: '@scope', value: key }, { name: '@scopePrefix', value: `${key}/` });
    }
    if (filter.status) {
      where.push('c.status = @status');
      parameters.push({ name: '@status', value: filter.status });
    }
    const query = `SELECT * FROM c${where.length ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY c.startsAt DESC`;
    return withCallerToken(filter.continuationToken, () =>
      queryDocs(this.grants, { query, parameters }, grantSchema, { maxItemCount: filter.maxItemCount ?? 50, continuationToken: filter.continuationToken }),
    );
  }

  /** Active grants whose expiry has passed: cost proportional to what is due (range index on expiresAt). */
  async due(now: Date, limit: number): Promise<Array<{ grant: Grant; etag?: string }>> {
    const docs = await queryVersionedDocs(
      this.grants,
      {
        query: 'SELECT TOP @n * FROM c WHERE c.status = "active" AND c.expiresAt <= @now ORDER BY c.expiresAt',
        parameters: [
          { name: '@n', value: limit },
          { name: '@now', value: now.toISOString() },
        ],
      },
      grantSchema,
    );
    return docs.map(({ doc, etag }) => ({ grant: doc, ...(etag ? { etag } : {}) }));
  }

  /** Ended grants whose assignment removal did not finish (a crash or an ARM outage in between). */
  async pendingRemovals(limit: number): Promise<Grant[]> {
    const page = await queryDocs(
      this.grants,
      { query: 'SELECT TOP @n * FROM c WHERE c.pendingRemoval = true', parameters: [{ name: '@n', value: limit }] },
      grantSchema,
    );
    return page.items;
  }

  async withPendingAudit(limit: number): Promise<Grant[]> {
    const page = await queryDocs(this.grants, { query: 'SELECT TOP @n * FROM c WHERE IS_DEFINED(c.outbox)', parameters: [{ name: '@n', value: limit }] }, grantSchema);
    return page.items;
  }

  /** Active grants expiring before `until` whose holder has not been warned. */
  async expiringUnwarned(now: Date, until: Date, limit: number): Promise<Grant[]> {
    const page = await queryDocs(
      this.grants,
      {
        query: 'SELECT TOP @n * FROM c WHERE c.status = "active" AND c.expiresAt > @now AND c.expiresAt <= @until AND NOT IS_DEFINED(c.warnedAt)',
        parameters: [
          { name: '@n', value: limit },
          { name: '@now', value: now.toISOString() },
          { name: '@until', value: until.toISOString() },
        ],
      },
      grantSchema,
    );
    return page.items;
  }

  /** All active grants, page by page (reconcile). */
  async *active(pageSize = 200): AsyncIterable<Grant[]> {
    let continuationToken: string | undefined;
    do {
      const page = await queryDocs(this.grants, 'SELECT * FROM c WHERE c.status = "active"', grantSchema, { maxItemCount: pageSize, continuationToken });
      if (page.items.length) yield page.items;
      continuationToken = page.continuationToken;
    } while (continuationToken);
  }

  async activeOnAssignment(assignmentId: string, assignmentName: string): Promise<Grant[]> {
    const page = await queryDocs(
      this.grants,
      {
        query: 'SELECT * FROM c WHERE (c.status = "active" OR IS_DEFINED(c.outbox)) AND (c.id = @name OR LOWER(c.assignmentId) = @id)',
        parameters: [
          { name: '@name', value: assignmentName.toLowerCase() },
          { name: '@id', value: scopeKey(assignmentId) },
        ],
      },
      grantSchema,
    );
    return page.items;
  }

  async readCoverage(principalId: string, roleDefinitionId: string, scope: string): Promise<Coverage | undefined> {
    const id = coverageKey(principalId, roleDefinitionId, scope);
    return (await readDoc(this.coverage, id, id, coverageSchema))?.doc;
  }

  /** CAS on the coverage document of a triple; `mutate` gets a fresh empty document when none exists. */
  async updateCoverage(
    key: CoverageKey,
    mutate: (current: Coverage) => Coverage,
  ): Promise<Coverage> {
    const id = coverageKey(key.principalId, key.roleDefinitionGuid, key.scope);
    const result = await compareAndSwap(
      this.coverage,
      id,
      id,
      coverageSchema,
      (current): Mutation<Coverage> => {
        const base: Coverage = current ?? { id, type: 'coverage', principalId: key.principalId.toLowerCase(), roleDefinitionGuid: key.roleDefinitionGuid, scope: key.scope, entries: [] };
        const next = mutate(base);
        return next === base ? ABORT : next;
      },
      { create: true },
    );
    return result.doc ?? { id, type: 'coverage', principalId: key.principalId.toLowerCase(), roleDefinitionGuid: key.roleDefinitionGuid, scope: key.scope, entries: [] };
  }
}
