/**
 * Paces AccessManager's ARM calls by ARM's own throttling budget. ARM limits each subscription and
 * caller with token buckets (reads, writes, deletes) and says what is left in every answer
 * (`x-ms-ratelimit-remaining-subscription-reads|writes|deletes`); an empty bucket answers 429 with
 * `Retry-After`. Retrying a 429 after `Retry-After` is already done by the SDK's default retry
 * policy (@azure/core-rest-pipeline's throttlingRetryStrategy, inside `retryOptions.maxRetries`), so
 * this policy does not retry: it runs per attempt (`perRetry`) and
 * - remembers the budget each answer reports, per (subscription, kind), refilled at ARM's rates;
 * - holds every call to a bucket that answered 429 until its `Retry-After` has passed (one 429
 *   stops the others from spending attempts on the same empty bucket);
 * - holds a call that would find the bucket empty until a token is due;
 * - gives event enforcement priority: background work (reconcile, expiry: `background()`) leaves a
 *   reserve (a quarter of the largest budget seen) in each bucket, so a long reconcile never
 *   starves revocations of their delete budget.
 * A call that still fails after the SDK's retries fails the work, which is retried (Event Grid
 * redelivers the event; the next timer run picks up what is left): nothing is dropped.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { PipelinePolicy, PipelineRequest, PipelineResponse, SendRequest } from '@azure/core-rest-pipeline';
import type { WorkPacing } from '../../ports/pacing';

export type ArmBucketKind = 'reads' | 'writes' | 'deletes';
type Priority = 'urgent' | 'background';

/** ARM's documented refill per second (the bucket sizes are learnt from the headers). */
const REFILL_PER_SECOND: Readonly<Record<ArmBucketKind, number>> = { reads: 25, writes: 10, deletes: 10 };
const HEADER: Readonly<Record<ArmBucketKind, string>> = {
  reads: 'x-ms-ratelimit-remaining-subscription-reads',
  writes: 'x-ms-ratelimit-remaining-subscription-writes',
  deletes: 'x-ms-ratelimit-remaining-subscription-deletes',
};
/** Share of the largest budget seen that background work leaves for event enforcement. */
const RESERVE_SHARE = 0.25;
/** A wait is re-checked at least this often (answers of other calls may have changed the estimate). */
const MAX_WAIT_SLICE_MS = 1000;

interface BucketState {
  remaining: number | undefined;
  at: number;
  /** Largest remaining budget ARM has reported: the bucket's size, near enough. */
  largest: number;
  blockedUntil: number;
  inFlight: number;
}

export interface PacerStats {
  calls: number;
  /** 429 answers met (each is retried by the SDK after Retry-After). */
  throttled: number;
  /** Calls held back before sending, and for how long in total. */
  held: number;
  heldMs: number;
  /** Calls sent per priority and kind. */
  sent: Record<Priority, Record<ArmBucketKind, number>>;
}

export function bucketKind(method: string): ArmBucketKind {
  const m = method.toUpperCase();
  if (m === 'GET' || m === 'HEAD') return 'reads';
  if (m === 'DELETE') return 'deletes';
  return 'writes';
}

function bucketKey(url: string, kind: ArmBucketKind): string {
  const path = new URL(url).pathname;
  const sub = /^\/+subscriptions\/([^/]+)/i.exec(path)?.[1]?.toLowerCase() ?? 'tenant';
  return `${kind}|${sub}`;
}

/** How long ARM asked to wait (as the SDK's throttling strategy reads it); a second when it did not say. */
function retryAfterMs(response: PipelineResponse): number {
  for (const [name, factor] of [['retry-after-ms', 1], ['x-ms-retry-after-ms', 1], ['retry-after', 1000]] as const) {
    const raw = response.headers.get(name);
    const value = raw === undefined || raw.trim() === '' ? Number.NaN : Number(raw);
    if (Number.isFinite(value) && value >= 0) return value * factor;
  }
  return 1000;
}

export class ArmPacer implements WorkPacing {
  private readonly priority = new AsyncLocalStorage<Priority>();
  private readonly buckets = new Map<string, BucketState>();
  readonly stats: PacerStats = {
    calls: 0,
    throttled: 0,
    held: 0,
    heldMs: 0,
    sent: { urgent: { reads: 0, writes: 0, deletes: 0 }, background: { reads: 0, writes: 0, deletes: 0 } },
  };

  constructor(
    private readonly now: () => number = () => Date.now(),
    private readonly sleep: (ms: number) => Promise<void> = (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  ) {}

  background<T>(work: () => Promise<T>): Promise<T> {
    return this.priority.run('background', work);
  }

  /** The pipeline policy to add to every ARM client (position `perRetry`). */
  policy(): PipelinePolicy {
    return { name: 'accessManagerArmPacer', sendRequest: (request, next) => this.send(request, next) };
  }

  private bucket(key: string): BucketState {
    let state = this.buckets.get(key);
    if (!state) {
      state = { remaining: undefined, at: this.now(), largest: 0, blockedUntil: 0, inFlight: 0 };
      this.buckets.set(key, state);
    }
    return state;
  }

  /** Tokens expected to be in the bucket now, less the calls already on their way. */
  private estimate(state: BucketState, kind: ArmBucketKind, now: number): number {
    if (state.remaining === undefined) return Number.POSITIVE_INFINITY;
    const refilled = state.remaining + ((now - state.at) / 1000) * REFILL_PER_SECOND[kind];
    return Math.min(Math.max(state.largest, state.remaining, 1), refilled) - state.inFlight;
  }

  private async send(request: PipelineRequest, next: SendRequest): Promise<PipelineResponse> {
    const kind = bucketKind(request.method);
    const state = this.bucket(bucketKey(request.url, kind));
    const priority = this.priority.getStore() ?? 'urgent';
    const reserve = priority === 'background' ? Math.ceil(state.largest * RESERVE_SHARE) : 0;
    const startedAt = this.now();
    for (;;) {
      const now = this.now();
      if (state.blockedUntil > now) {
        await this.sleep(Math.min(state.blockedUntil - now, MAX_WAIT_SLICE_MS));
        continue;
      }
      const missing = reserve + 1 - this.estimate(state, kind, now);
      if (missing <= 0) break;
      await this.sleep(Math.min(Math.ceil((missing / REFILL_PER_SECOND[kind]) * 1000), MAX_WAIT_SLICE_MS));
    }
    const held = this.now() - startedAt;
    if (held > 0) {
      this.stats.held += 1;
      this.stats.heldMs += held;
    }
    this.stats.calls += 1;
    this.stats.sent[priority][kind] += 1;
    state.inFlight += 1;
    let response: PipelineResponse;
    try {
      response = await next(request);
    } finally {
      state.inFlight -= 1;
    }
    const reported = Number(response.headers.get(HEADER[kind]));
    const answeredAt = this.now();
    if (response.headers.get(HEADER[kind]) !== undefined && Number.isFinite(reported)) {
      state.remaining = reported;
      state.at = answeredAt;
      state.largest = Math.max(state.largest, reported);
    }
    if (response.status === 429) {
      this.stats.throttled += 1;
      // An empty bucket, as far as we know it; without any budget header only Retry-After says anything.
      if (state.remaining !== undefined) {
        state.remaining = 0;
        state.at = answeredAt;
      }
      state.blockedUntil = Math.max(state.blockedUntil, answeredAt + retryAfterMs(response));
    }
    return response;
  }
}
