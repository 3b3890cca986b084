/**
 * In-memory repositories typed by the ports, for unit tests of use cases: the same contracts as
 * the Cosmos adapters (copies in and out, compare-and-swap updates that write nothing when
 * `mutate` returns the same object, NotFoundError / ConflictError as the adapters raise them,
 * newest-first listings with continuation tokens). Every write is counted, so a test can say
 * "this refusal wrote nothing".
 */
import { ConflictError, NotFoundError, ValidationError } from '../../shared/domain/errors';
import { scopeKey } from '../../shared/domain/armIds';
import { coverageKey, type Coverage, type Grant } from '../../shared/domain/grants/grant';
import type { AccessRequest } from '../../shared/domain/requests/model';
import { endPacing, recordRevocation, resetBreaker, type BreakerPolicyView, type BreakerState } from '../../shared/domain/enforcement/breaker';
import type { IntentHold, RevocationIntent, RevocationIntentRepository, RogueActorRepository, SelfAccessRepository, SelfAccessState, StoredIntent } from '../../shared/ports/enforcementState';
import type { RogueActorState } from '../../shared/domain/enforcement/rogueActors';
import type { BreakerRepository, CountOutcome } from '../../shared/ports/breakers';
import type { CapturedReference, ConversationRepository, ConversationTarget } from '../../shared/ports/conversations';
import type { CoverageKey, GrantFilter, GrantRepository } from '../../shared/ports/grants';
import type { QueryPage } from '../../shared/ports/page';
import type { RequestFilter, RequestRepository } from '../../shared/ports/requests';

const copy = <T>(value: T): T => structuredClone(value);
const same = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();

/** Counts writes, so "nothing was written" is one assertion. */
export class WriteCounter {
  writes = 0;
}

/** Newest first by `key`, one page of `size` from the offset in `token`. */
function page<T>(items: T[], size: number, token: string | undefined): QueryPage<T> {
  const start = token === undefined ? 0 : Number(token);
  if (!Number.isInteger(start) || start < 0) throw new ValidationError('The continuationToken is not one this API gave for this query; drop it to start from the first page.', 'InvalidContinuationToken');
  const slice = items.slice(start, start + size);
  return start + size < items.length ? { items: slice, continuationToken: String(start + size) } : { items: slice };
}

export class InMemoryRequests implements RequestRepository {
  readonly docs = new Map<string, AccessRequest>();
  constructor(readonly counter = new WriteCounter()) {}

  async get(id: string): Promise<AccessRequest | undefined> {
    const found = this.docs.get(id);
    return found && copy(found);
  }

  async mustGet(id: string): Promise<AccessRequest> {
    const found = await this.get(id);
    if (!found) throw new NotFoundError(`Request ${id} does not exist.`, 'RequestNotFound');
    return found;
  }

  private readonly etags = new Map<string, number>();

  async create(request: AccessRequest): Promise<{ request: AccessRequest; etag: string }> {
    if (this.docs.has(request.id)) throw new ConflictError(`Request ${request.id} exists.`, 'Conflict');
    this.write(request);
    return { request: copy(request), etag: this.etagOf(request.id) };
  }

  async update(id: string, mutate: (current: AccessRequest) => AccessRequest | Promise<AccessRequest>): Promise<{ request: AccessRequest; changed: boolean; etag?: string }> {
    const current = await this.mustGet(id);
    const next = await mutate(current);
    if (next === current) return { request: current, changed: false, etag: this.etagOf(id) };
    this.write(next);
    return { request: copy(next), changed: true, etag: this.etagOf(id) };
  }

  async withPendingAudit(limit = 200): Promise<AccessRequest[]> {
    return [...this.docs.values()].filter((r) => r.outbox !== undefined).slice(0, limit).map(copy);
  }

  private write(request: AccessRequest): void {
    this.counter.writes++;
    this.docs.set(request.id, copy(request));
    this.etags.set(request.id, (this.etags.get(request.id) ?? 0) + 1);
  }

  private etagOf(id: string): string {
    return `"${this.etags.get(id) ?? 0}"`;
  }

  async list(filter: RequestFilter): Promise<QueryPage<AccessRequest>> {
    const items = [...this.docs.values()]
      .filter((r) => filter.status === undefined || r.status === filter.status)
      .filter((r) => filter.requesterId === undefined || same(r.requester.id, filter.requesterId))
      .filter((r) => filter.renewsGrantId === undefined || r.renewsGrantId === filter.renewsGrantId)
      .filter(
        (r) =>
          filter.approver === undefined ||
          r.approverUsers.some((u) => same(u, filter.approver!.userId)) ||
          r.approverGroups.some((g) => filter.approver!.groupIds.some((id) => same(id, g))),
      )
      .filter((r) => {
        const who = filter.involving;
        if (who === undefined) return true;
        return (
          same(r.requester.id, who.userId) ||
          same(r.principalId, who.userId) ||
          r.approverUsers.some((u) => same(u, who.userId)) ||
          r.approverGroups.some((g) => who.groupIds.some((id) => same(id, g)))
        );
      })
      .sort((a, b) => b.createdAt.localeCompare(a.createdAt));
    return page(items.map(copy), filter.maxItemCount ?? 50, filter.continuationToken);
  }

  async unfulfilled(limit = 100): Promise<AccessRequest[]> {
    return [...this.docs.values()].filter((r) => r.status === 'approved' && r.fulfilled === false).slice(0, limit).map(copy);
  }

  async overdue(now: Date, limit = 500): Promise<AccessRequest[]> {
    return [...this.docs.values()].filter((r) => r.status === 'pending' && r.expiresAt <= now.toISOString()).slice(0, limit).map(copy);
  }
}

export class InMemoryGrants implements GrantRepository {
  readonly docs = new Map<string, Grant>();
  readonly coverage = new Map<string, Coverage>();
  private etags = new Map<string, number>();
  constructor(readonly counter = new WriteCounter()) {}

  async get(id: string): Promise<Grant | undefined> {
    const found = this.docs.get(id);
    return found && copy(found);
  }

  async mustGet(id: string): Promise<Grant> {
    const found = await this.get(id);
    if (!found) throw new NotFoundError(`Grant ${id} does not exist.`, 'GrantNotFound');
    return found;
  }

  async createOrGet(grant: Grant): Promise<{ grant: Grant; created: boolean; etag?: string }> {
    const existing = this.docs.get(grant.id);
    if (existing) return { grant: copy(existing), created: false };
    this.write(grant);
    return { grant: copy(grant), created: true, etag: this.etagOf(grant.id) };
  }

  async withPendingAudit(limit: number): Promise<Grant[]> {
    return [...this.docs.values()].filter((g) => g.outbox !== undefined).slice(0, limit).map(copy);
  }

  async update(id: string, mutate: (current: Grant) => Grant): Promise<{ grant: Grant; changed: boolean; etag?: string }> {
    const current = await this.mustGet(id);
    const next = mutate(current);
    if (next === current) return { grant: current, changed: false, etag: this.etagOf(id) };
    this.write(next);
    return { grant: copy(next), changed: true, etag: this.etagOf(id) };
  }

  async list(filter: GrantFilter): Promise<QueryPage<Grant>> {
    const key = filter.scope === undefined ? undefined : scopeKey(filter.scope);
    const items = [...this.docs.values()]
      .filter((g) => filter.principalId === undefined || same(g.principalId, filter.principalId))
      .filter((g) => key === undefined || g.scopeKey === key || g.scopeKey.startsWith(`${key}/`))
      .filter((g) => filter.status === undefined || g.status === filter.status)
      .sort((a, b) => b.startsAt.localeCompare(a.startsAt));
    return page(items.map(copy), filter.maxItemCount ?? 50, filter.continuationToken);
  }

  async due(now: Date, limit: number): Promise<Array<{ grant: Grant }>> {
    return [...this.docs.values()]
      .filter((g) => g.status === 'active' && g.expiresAt <= now.toISOString())
      .sort((a, b) => a.expiresAt.localeCompare(b.expiresAt))
      .slice(0, limit)
      .map((g) => ({ grant: copy(g) }));
  }

  async pendingRemovals(limit: number): Promise<Grant[]> {
    return [...this.docs.values()].filter((g) => g.pendingRemoval === true).slice(0, limit).map(copy);
  }

  async expiringUnwarned(now: Date, until: Date, limit: number): Promise<Grant[]> {
    return [...this.docs.values()]
      .filter((g) => g.status === 'active' && g.expiresAt > now.toISOString() && g.expiresAt <= until.toISOString() && g.warnedAt === undefined)
      .slice(0, limit)
      .map(copy);
  }

  async *active(pageSize = 200): AsyncIterable<Grant[]> {
    const all = [...this.docs.values()].filter((g) => g.status === 'active').map(copy);
    for (let i = 0; i < all.length; i += pageSize) yield all.slice(i, i + pageSize);
  }

  async activeOnAssignment(assignmentId: string, assignmentName: string): Promise<Grant[]> {
    return [...this.docs.values()]
      .filter((g) => (g.status === 'active' || g.outbox !== undefined) && (same(g.id, assignmentName) || scopeKey(g.assignmentId) === scopeKey(assignmentId)))
      .map(copy);
  }

  async readCoverage(principalId: string, roleDefinitionId: string, scope: string): Promise<Coverage | undefined> {
    const found = this.coverage.get(coverageKey(principalId, roleDefinitionId, scope));
    return found && copy(found);
  }

  async updateCoverage(key: CoverageKey, mutate: (current: Coverage) => Coverage): Promise<Coverage> {
    const id = coverageKey(key.principalId, key.roleDefinitionGuid, key.scope);
    const base: Coverage = this.coverage.get(id) ?? { id, type: 'coverage', principalId: key.principalId.toLowerCase(), roleDefinitionGuid: key.roleDefinitionGuid, scope: key.scope, entries: [] };
    const current = copy(base);
    const next = mutate(current);
    if (next === current) return current;
    this.counter.writes++;
    this.coverage.set(id, copy(next));
    return copy(next);
  }

  private write(grant: Grant): void {
    this.counter.writes++;
    this.docs.set(grant.id, copy(grant));
    this.etags.set(grant.id, (this.etags.get(grant.id) ?? 0) + 1);
  }

  private etagOf(id: string): string {
    return `"${this.etags.get(id) ?? 0}"`;
  }
}

/** The breaker's pure transitions over one in-memory state per policy; a key counted once stays counted. */
export class InMemoryBreakers implements BreakerRepository {
  readonly states = new Map<string, BreakerState>();
  private readonly counted = new Map<string, Set<string>>();

  async count(policy: BreakerPolicyView, key: string, now: Date): Promise<CountOutcome> {
    const id = policy.id.toLowerCase();
    const keys = this.counted.get(id) ?? new Set<string>();
    if (keys.has(key)) return { allowed: true, justTripped: false };
    const result = recordRevocation(this.states.get(id), policy, now);
    this.states.set(id, result.state);
    if (result.allowed) keys.add(key);
    this.counted.set(id, keys);
    return { allowed: result.allowed, justTripped: result.justTripped, ...(result.retryAt ? { retryAt: result.retryAt } : {}) };
  }

  async endPacing(policyId: string): Promise<void> {
    const id = policyId.toLowerCase();
    const current = this.states.get(id);
    if (current) this.states.set(id, endPacing(current));
  }

  async read(policyId: string): Promise<BreakerState | undefined> {
    const found = this.states.get(policyId.toLowerCase());
    return found && copy(found);
  }

  async reset(policyId: string, now: Date): Promise<boolean> {
    const id = policyId.toLowerCase();
    const current = this.states.get(id);
    if (!current?.tripped) return false;
    this.states.set(id, resetBreaker(current, now));
    this.counted.delete(id);
    return true;
  }
}

export class InMemoryConversations implements ConversationRepository {
  readonly people = new Map<string, ConversationTarget>();
  readonly channels = new Map<string, ConversationTarget>();

  async forPerson(objectId: string): Promise<ConversationTarget | undefined> {
    return this.people.get(objectId.toLowerCase());
  }

  async forPeople(objectIds: readonly string[]): Promise<Map<string, ConversationTarget>> {
    const found = new Map<string, ConversationTarget>();
    for (const id of objectIds) {
      const target = this.people.get(id.toLowerCase());
      if (target) found.set(id.toLowerCase(), target);
    }
    return found;
  }

  async forChannel(channelId: string): Promise<ConversationTarget | undefined> {
    return this.channels.get(channelId);
  }

  async remember(captured: CapturedReference): Promise<void> {
    if (captured.kind === 'person') this.people.set(captured.objectId, captured.target);
    else this.channels.set(captured.channelId, captured.target);
  }

  async forget(objectId: string): Promise<void> {
    this.people.delete(objectId.toLowerCase());
  }
}

/** AccessManager's own access as last checked. */
export class InMemorySelfAccess implements SelfAccessRepository {
  state: SelfAccessState | undefined;

  async read(): Promise<SelfAccessState | undefined> {
    return this.state && copy(this.state);
  }

  async update(mutate: (current: SelfAccessState | undefined) => SelfAccessState | undefined): Promise<{ state: SelfAccessState | undefined; changed: boolean }> {
    const current = this.state && copy(this.state);
    const next = mutate(current);
    if (next === undefined || next === current) return { state: current, changed: false };
    this.state = copy(next);
    return { state: copy(next), changed: true };
  }
}

/**
 * Revocation intents by key, with the store's semantics: a claim is a create, a takeover needs
 * the holder's lease (on `wallNow`) to have run out, and the scan lists intents in write order
 * from its mark (a write counter stands in for `_ts`).
 */
export class InMemoryRevocations implements RevocationIntentRepository {
  readonly intents = new Map<string, RevocationIntent & { claimedAt: string; claimedAtWall: number; written: number; version: number }>();
  private writes = 0;
  private mark = 0;

  constructor(
    readonly leaseMs = 10_000,
    readonly wallNow: () => number = Date.now,
    /** The app's clock, for `claimedAt`. */
    readonly now: () => Date = () => new Date(),
  ) {}

  async claim(intent: RevocationIntent): Promise<IntentHold | { held: StoredIntent }> {
    const existing = this.intents.get(intent.key);
    if (existing) return { held: this.stored(existing) };
    this.intents.set(intent.key, { ...copy(intent), claimedAt: intent.createdAt, claimedAtWall: this.wallNow(), written: ++this.writes, version: this.writes });
    return { heldUntil: performance.now() + this.leaseMs / 3 };
  }

  async takeOver(intent: StoredIntent): Promise<IntentHold | undefined> {
    const current = this.intents.get(intent.key);
    const age = current ? this.wallNow() - current.claimedAtWall : 0;
    if (!current || String(current.version) !== intent.version || (age >= 0 && age < this.leaseMs)) return undefined;
    this.intents.set(intent.key, { ...current, claimedAt: this.now().toISOString(), claimedAtWall: this.wallNow(), written: ++this.writes, version: this.writes });
    return { heldUntil: performance.now() + this.leaseMs / 3 };
  }

  async release(intent: RevocationIntent): Promise<void> {
    const current = this.intents.get(intent.key);
    if (current) this.intents.set(intent.key, { ...current, claimedAtWall: 0, written: ++this.writes, version: this.writes });
  }

  async remove(key: string): Promise<void> {
    this.intents.delete(key);
  }

  async unchecked(limit: number): Promise<{ intents: StoredIntent[]; before?: string }> {
    const rows = [...this.intents.values()].filter((i) => i.written > this.mark).sort((a, b) => a.written - b.written).slice(0, limit);
    return rows.length === 0 ? { intents: [] } : { intents: rows.map((r) => this.stored(r)), before: String(rows[rows.length - 1]!.written) };
  }

  async checked(before: string): Promise<void> {
    this.mark = Math.max(this.mark, Number(before));
  }

  async stale(before: Date, limit: number): Promise<RevocationIntent[]> {
    return [...this.intents.values()].filter((i) => i.createdAt < before.toISOString()).slice(0, limit).map(({ key, assignmentId, entry, createdAt }) => copy({ key, assignmentId, entry, createdAt }));
  }

  private stored(i: RevocationIntent & { claimedAt: string; written: number; version: number }): StoredIntent {
    return { key: i.key, assignmentId: i.assignmentId, entry: copy(i.entry), createdAt: i.createdAt, claimedAt: i.claimedAt, version: String(i.version), before: String(i.written - 1) };
  }
}

/** Rogue creations per actor. */
export class InMemoryRogueActors implements RogueActorRepository {
  readonly states = new Map<string, RogueActorState>();

  async count<R>(actorId: string, mutate: (current: RogueActorState | undefined) => { state: RogueActorState; result: R; changed: boolean }): Promise<R> {
    const current = this.states.get(actorId.toLowerCase());
    const decided = mutate(current && copy(current));
    this.states.set(actorId.toLowerCase(), copy(decided.state));
    return decided.result;
  }
}
