/**
 * ARM's request throttling, simulated: token buckets per subscription and caller (service
 * principal or user), one each for reads (GET, HEAD), writes (PUT, PATCH, POST) and deletes, as
 * Microsoft's "Understand how Azure Resource Manager throttles requests" describes (reads 250 burst,
 * 25 per second refill; writes and deletes 200 burst, 10 per second). Every ARM answer carries the
 * remaining budget (`x-ms-ratelimit-remaining-subscription-reads|writes|deletes`); an empty bucket
 * answers 429 with `Retry-After` (whole seconds until a token is back). Requests above any
 * subscription (management groups, the tenant root) use a tenant bucket of the same size. The
 * sizes are the `armThrottle` knob (off by default, so tests that do not study throttling are not
 * slowed); the clock is injectable so a benchmark can run a long reconcile on a virtual one.
 */
export interface BucketSpec {
  burst: number;
  perSecond: number;
}

export interface ThrottleSpec {
  reads: BucketSpec;
  writes: BucketSpec;
  deletes: BucketSpec;
}

export type ThrottleKind = keyof ThrottleSpec;

/** The documented limits of ARM's token buckets. */
export const ARM_LIMITS: Readonly<ThrottleSpec> = Object.freeze({
  reads: { burst: 250, perSecond: 25 },
  writes: { burst: 200, perSecond: 10 },
  deletes: { burst: 200, perSecond: 10 },
});

export const REMAINING_HEADER: Readonly<Record<ThrottleKind, string>> = Object.freeze({
  reads: 'x-ms-ratelimit-remaining-subscription-reads',
  writes: 'x-ms-ratelimit-remaining-subscription-writes',
  deletes: 'x-ms-ratelimit-remaining-subscription-deletes',
});

export function throttleKind(method: string): ThrottleKind {
  const m = method.toUpperCase();
  if (m === 'GET' || m === 'HEAD') return 'reads';
  if (m === 'DELETE') return 'deletes';
  return 'writes';
}

interface Bucket {
  tokens: number;
  at: number;
}

export interface TakeResult {
  allowed: boolean;
  /** Whole tokens left after this request (0 when refused). */
  remaining: number;
  /** Seconds until a token is back (refused requests only). */
  retryAfterSeconds: number;
}

export class ArmThrottle {
  private readonly buckets = new Map<string, Bucket>();
  /** Requests refused with 429, per kind. */
  readonly throttled: Record<ThrottleKind, number> = { reads: 0, writes: 0, deletes: 0 };

  constructor(private readonly nowMs: () => number = () => Date.now()) {}

  take(spec: ThrottleSpec, subscription: string | undefined, caller: string, kind: ThrottleKind): TakeResult {
    const limits = spec[kind];
    const key = `${kind}|${(subscription ?? 'tenant').toLowerCase()}|${caller.toLowerCase()}`;
    const now = this.nowMs();
    const bucket = this.buckets.get(key) ?? { tokens: limits.burst, at: now };
    bucket.tokens = Math.min(limits.burst, bucket.tokens + ((now - bucket.at) / 1000) * limits.perSecond);
    bucket.at = now;
    this.buckets.set(key, bucket);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return { allowed: true, remaining: Math.floor(bucket.tokens), retryAfterSeconds: 0 };
    }
    this.throttled[kind] += 1;
    const seconds = Math.max(1, Math.ceil((1 - bucket.tokens) / limits.perSecond));
    return { allowed: false, remaining: 0, retryAfterSeconds: seconds };
  }

  /** Full buckets again (a test's fresh start). */
  reset(): void {
    this.buckets.clear();
    this.throttled.reads = this.throttled.writes = this.throttled.deletes = 0;
  }
}
