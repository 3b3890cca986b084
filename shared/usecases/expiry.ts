/**
 * The expireGrants timer: ends every grant past its expiry (catching up after missed runs),
 * finishes ended grants whose assignment removal was interrupted, warns holders before expiry,
 * times out stale requests, finishes approved requests whose grant was not recorded yet (or that
 * waited for AccessManager's permission), and finishes what a crash interrupted: audit outboxes
 * of requests and grants, and revocations ARM has not confirmed yet.
 * Work is proportional to what is due: each step is an indexed query for due items only.
 *
 * Store operations per expired grant (bench/requests.ts, `expiry.perGrant.storeOps`): 4 per grant,
 * plus the ledger's chain bookkeeping shared by all (4.25 over 200 grants; 5.2 before the first
 * write went, 8.2 and 10.3 before that). The grant itself is the intent (expireGrant): an active
 * grant past its expiry stays due until its last write, so nothing is written ahead. The four:
 * the coverage read (an expired entry counts as absent for the enforcer, so it is not rewritten:
 * the document's next write prunes it), the record (the ledger's idempotency marker and the
 * record: 2 creates), and one conditional replace of the version the due query listed that ends
 * the grant and notes the Teams notice (sent just before it: a crash in between repeats the
 * notice, never the record; a 412 falls back to read and retry). The notice's conversation
 * references come from one query per batch (expectRecipients). The ARM delete is not a store
 * operation. A failure of ARM or the ledger ends the grant the older way (removal pending, record
 * queued in the same write) for the steps below that finish interrupted ends.
 */
import type { Deps } from '../ports/deps';
import { finishUnfulfilledRequests, timeOutOverdueRequests } from './requests';
import { endGrant, expireGrant, notifySafely } from './grants';
import type { Grant } from '../domain/grants/grant';
import { settleLimited } from '../domain/concurrency';
import { sweepAuditOutboxes } from './outbox';
import { finishRevocations } from './enforcement';

/** Holders hear about an expiry this long before it. */
export const EXPIRY_WARNING_MS = 15 * 60 * 1000;
/** Grants handled at once; the embedded store and ARM both prefer a small number in flight. */
const CONCURRENCY = 8;
const BATCH = 200;
/** Bounds one run; what is left is picked up by the next minute's run. */
const MAX_BATCHES_PER_RUN = 500;
/**
 * Stop starting new batches after this long: a run must end well inside the Functions timeout
 * (5 minutes by default on Consumption), and ARM throttles deletes (about 10/s per principal
 * after a burst), so a mass expiry is spread over several runs instead of being cut off mid-batch.
 */
export const EXPIRY_RUN_BUDGET_MS = 4 * 60 * 1000;

export interface ExpiryReport {
  expired: number;
  removalsFinished: number;
  warned: number;
  timedOut: number;
  fulfilled: number;
  /** Audit outboxes (requests, grants) a crash or a ledger outage left behind, now recorded. */
  outboxesFlushed: number;
  /** Revocations whose record a crash or an outage interrupted, now finished. */
  revocationsFinished: number;
  failures: number;
}

/** The batch's end notices follow: the notifier may look up how to reach their holders in one go (best effort). */
async function expectNotices(deps: Deps, recipientIds: string[]): Promise<void> {
  try {
    await deps.notifier.expectRecipients?.(recipientIds);
  } catch (err) {
    console.warn(`expireGrants: looking up the holders' conversations ahead failed (${err instanceof Error ? err.message : String(err)}); each notice reads its own`);
  }
}

async function inParallel<T>(items: T[], limit: number, work: (item: T) => Promise<void>): Promise<number> {
  const failures = await settleLimited(items, limit, work);
  for (const { error } of failures) console.warn(`expireGrants: ${error instanceof Error ? error.message : String(error)}`);
  return failures.length;
}

export function runExpiry(deps: Deps): Promise<ExpiryReport> {
  // Background work: its ARM deletes leave a reserve of the budget to event enforcement's revocations.
  return deps.pacing.background(() => expireNow(deps));
}

async function expireNow(deps: Deps): Promise<ExpiryReport> {
  const grants = deps.grants;
  const report: ExpiryReport = { expired: 0, removalsFinished: 0, warned: 0, timedOut: 0, fulfilled: 0, outboxesFlushed: 0, revocationsFinished: 0, failures: 0 };
  const actor = { id: deps.appPrincipalId, name: 'AccessManager' };

  const outboxes = await sweepAuditOutboxes(deps);
  report.outboxesFlushed = outboxes.flushed;
  report.failures += outboxes.failures;
  const revocations = await finishRevocations(deps);
  report.revocationsFinished = revocations.finished;
  report.failures += revocations.failures;

  report.timedOut = await timeOutOverdueRequests(deps);
  const fulfilment = await finishUnfulfilledRequests(deps);
  report.fulfilled = fulfilment.finished;
  report.failures += fulfilment.failed;

  const seen = new Set<string>();
  const started = Date.now();
  for (let batch = 0; batch < MAX_BATCHES_PER_RUN && Date.now() - started < EXPIRY_RUN_BUDGET_MS; batch++) {
    // A grant that failed to end stays due; skip it in this run so one bad grant cannot spin the loop.
    const due = (await grants.due(deps.clock.now(), BATCH)).filter(({ grant }) => !seen.has(grant.id));
    if (due.length === 0) break;
    due.forEach(({ grant }) => seen.add(grant.id));
    await expectNotices(deps, due.map(({ grant }) => grant.principalId));
    report.failures += await inParallel(due, CONCURRENCY, async (listed: { grant: Grant; etag?: string }) => {
      // The version the query listed: its end is written without reading it again (a 412 falls back to reading).
      await expireGrant(deps, listed, actor);
      report.expired++;
    });
  }

  const interrupted = await grants.pendingRemovals(BATCH);
  report.failures += await inParallel(interrupted, CONCURRENCY, async (g) => {
    await endGrant(deps, g.id, g.endReason ?? 'expired', actor, g.endReason === 'revoked' ? 'revocation finished' : `expired at ${g.expiresAt}`);
    report.removalsFinished++;
  });

  const now = deps.clock.now();
  const expiring = await grants.expiringUnwarned(now, new Date(now.getTime() + EXPIRY_WARNING_MS), BATCH);
  report.failures += await inParallel(expiring, CONCURRENCY, async (g) => {
    // Mark first: a retried run must not warn twice; losing one warning beats spamming.
    const { changed } = await grants.update(g.id, (cur) => (cur.warnedAt || cur.status !== 'active' ? cur : { ...cur, warnedAt: now.toISOString() }));
    if (!changed) return;
    await notifySafely(deps, {
      kind: 'grant.expiring',
      recipients: [g.principalId],
      subject: `Access ending soon: ${g.roleName}`,
      text: `${g.roleName} on ${g.scope} ends at ${g.expiresAt}. Renew it if you still need it.`,
      grantId: g.id,
      requestId: g.requestId,
      key: `grant.expiring:${g.id}:${g.expiresAt}`,
    });
    report.warned++;
  });
  return report;
}
