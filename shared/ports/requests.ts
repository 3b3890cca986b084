/** The port to stored access requests: point reads by id, compare-and-swap for every change. */
import type { AccessRequest, RequestStatus } from '../domain/requests/model';
import type { QueryPage } from './page';

export interface RequestFilter {
  status?: RequestStatus;
  requesterId?: string;
  /** Requests this user may approve: listed as an approver user, or one of these groups is an approver group. */
  approver?: { userId: string; groupIds: string[] };
  /** Requests this user made, is the principal of, or may approve (as `approver`): "mine and those I may approve". */
  involving?: { userId: string; groupIds: string[] };
  renewsGrantId?: string;
  maxItemCount?: number;
  continuationToken?: string;
}

export interface RequestRepository {
  get(id: string): Promise<AccessRequest | undefined>;
  /** NotFoundError (404 RequestNotFound) when it does not exist. */
  mustGet(id: string): Promise<AccessRequest>;
  /** Creates the request; the ETag lets the caller's next write skip a read. */
  create(request: AccessRequest): Promise<{ request: AccessRequest; etag: string }>;
  /**
   * Read-modify-write with ETags, retried on conflict. `mutate` returns the new request, the same
   * object (nothing is written), or throws a domain error to stop.
   */
  update(
    id: string,
    mutate: (current: AccessRequest) => AccessRequest | Promise<AccessRequest>,
    known?: { request: AccessRequest; etag: string },
  ): Promise<{ request: AccessRequest; changed: boolean; etag?: string }>;
  list(filter: RequestFilter): Promise<QueryPage<AccessRequest>>;
  /** Approved requests whose grant is not recorded yet: the fulfilment backlog. */
  unfulfilled(limit?: number): Promise<AccessRequest[]>;
  /** Pending requests past their deadline. */
  overdue(now: Date, limit?: number): Promise<AccessRequest[]>;
  /** Requests whose audit outbox still holds entries (a crash or a ledger failure interrupted the change). */
  withPendingAudit(limit?: number): Promise<AccessRequest[]>;
}
