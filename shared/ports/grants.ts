/**
 * The port to grants and their coverage index. A coverage document, keyed by (principal, role,
 * scope), lists the grants that justify the one role assignment Azure allows for that triple:
 * the enforcer's only store read per event.
 */
import type { Coverage, Grant, GrantStatus } from '../domain/grants/grant';
import type { QueryPage } from './page';

export interface GrantFilter {
  principalId?: string;
  /** The scope and everything under it. */
  scope?: string;
  status?: GrantStatus;
  maxItemCount?: number;
  continuationToken?: string;
}

export interface CoverageKey {
  principalId: string;
  roleDefinitionGuid: string;
  scope: string;
}

export interface GrantRepository {
  get(id: string): Promise<Grant | undefined>;
  /** NotFoundError (404 GrantNotFound) when it does not exist. */
  mustGet(id: string): Promise<Grant>;
  /** Creates the grant; when it already exists (a retried fulfilment) returns the stored one. */
  createOrGet(grant: Grant): Promise<{ grant: Grant; created: boolean; etag?: string }>;
  /**
   * Read-modify-write with ETags. With `known` (a version this caller just wrote) the first
   * attempt replaces it without reading again. `mutate` returning the same object writes nothing.
   */
  update(id: string, mutate: (current: Grant) => Grant, known?: { grant: Grant; etag: string }): Promise<{ grant: Grant; changed: boolean; etag?: string }>;
  list(filter: GrantFilter): Promise<QueryPage<Grant>>;
  /** Active grants whose expiry has passed, soonest first, each with its version (ETag) as listed: ending it needs no second read. */
  due(now: Date, limit: number): Promise<Array<{ grant: Grant; etag?: string }>>;
  /** Ended grants whose assignment removal did not finish. */
  pendingRemovals(limit: number): Promise<Grant[]>;
  /** Grants whose audit outbox still holds entries (a crash or a ledger failure interrupted the change). */
  withPendingAudit(limit: number): Promise<Grant[]>;
  /** Active grants expiring in (now, until] whose holder has not been warned. */
  expiringUnwarned(now: Date, until: Date, limit: number): Promise<Grant[]>;
  /** Every active grant, page by page. */
  active(pageSize?: number): AsyncIterable<Grant[]>;
  /**
   * Grants carried by this role assignment (by its full id, or by its name when we named it) that
   * are active, or whose audit records are still queued (an interrupted end, for its redelivery to finish).
   */
  activeOnAssignment(assignmentId: string, assignmentName: string): Promise<Grant[]>;
  readCoverage(principalId: string, roleDefinitionId: string, scope: string): Promise<Coverage | undefined>;
  /** Compare-and-swap on a triple's coverage; `mutate` gets an empty document when none exists. */
  updateCoverage(key: CoverageKey, mutate: (current: Coverage) => Coverage): Promise<Coverage>;
}
