/**
 * Appending what a request's or grant's outbox holds (see domain/audit/outbox): right after the
 * change that queued it, on the next attempt of the same use case, and from the expireGrants
 * timer for whatever a crash left behind. Each entry is appended with its key as idempotency key
 * (one record however often this runs), then cleared from the document.
 */
import type { Deps } from '../ports/deps';
import type { AccessRequest } from '../domain/requests/model';
import type { Grant } from '../domain/grants/grant';
import { readyEntries, withoutAudit } from '../domain/audit/outbox';

/** An attempt younger than this may still be flushing its own entries: the timer leaves them to it. */
export const OUTBOX_GRACE_MS = 30_000;

async function appendAll(deps: Pick<Deps, 'audit'>, entries: ReturnType<typeof readyEntries>): Promise<Set<string>> {
  const done = new Set<string>();
  for (const o of entries) {
    await deps.audit.append(o.entry, { idempotencyKey: o.key });
    done.add(o.key);
  }
  return done;
}

/**
 * Appends a request's queued entries and clears them. With `etag` (a version the caller just
 * wrote) the clear needs no read. With `only`, just those keys: concurrent approvers each record
 * their own change (another's may still be in flight; the timer picks up what is left behind).
 */
export async function flushRequestAudit(deps: Pick<Deps, 'audit' | 'requests'>, request: AccessRequest, etag?: string, only?: ReadonlySet<string>): Promise<AccessRequest> {
  const ready = readyEntries(request).filter((o) => !only || only.has(o.key));
  if (ready.length === 0) return request;
  const done = await appendAll(deps, ready);
  return (await deps.requests.update(request.id, (r) => withoutAudit(r, done), etag ? { request, etag } : undefined)).request;
}

/** Appends a grant's queued entries (those held until its assignment is removed stay while that is pending) and clears them. */
export async function flushGrantAudit(deps: Pick<Deps, 'audit' | 'grants'>, grant: Grant, etag?: string): Promise<Grant> {
  const ready = readyEntries(grant);
  if (ready.length === 0) return grant;
  const done = await appendAll(deps, ready);
  return (await deps.grants.update(grant.id, (g) => withoutAudit(g, done), etag ? { grant, etag } : undefined)).grant;
}

function isStale(doc: { outbox?: Array<{ queuedAt: string }> }, now: Date): boolean {
  return (doc.outbox ?? []).some((o) => !(now.getTime() - Date.parse(o.queuedAt) < OUTBOX_GRACE_MS));
}

/** Timer step: finishes outboxes that a crash or a ledger outage left behind. Returns how many documents it finished. */
export async function sweepAuditOutboxes(deps: Pick<Deps, 'audit' | 'requests' | 'grants' | 'clock'>, limit = 200): Promise<{ flushed: number; failures: number }> {
  const now = deps.clock.now();
  let flushed = 0;
  let failures = 0;
  const run = async (work: () => Promise<unknown>, what: string) => {
    try {
      await work();
      flushed++;
    } catch (err) {
      failures++;
      console.warn(`audit outbox of ${what}: ${err instanceof Error ? err.message : String(err)}`);
    }
  };
  for (const r of await deps.requests.withPendingAudit(limit)) if (isStale(r, now)) await run(() => flushRequestAudit(deps, r), `request ${r.id}`);
  for (const g of await deps.grants.withPendingAudit(limit)) if (isStale(g, now) && readyEntries(g).length > 0) await run(() => flushGrantAudit(deps, g), `grant ${g.id}`);
  return { flushed, failures };
}
