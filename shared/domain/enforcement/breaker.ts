/**
 * The blast-radius breaker, as pure state transitions: every revocation the enforcer is about
 * to make is recorded first; when a policy revokes more than its threshold inside the window,
 * the breaker trips and that policy's enforcement becomes audit-only until an admin resets it.
 *
 * Window: FIXED, not sliding. The state is one small document per policy (window start and a
 * count), cheap to update with an ETag compare-and-swap from every Functions instance; a
 * sliding window would need every revocation time in the document. The price is that a burst
 * straddling a window boundary can reach up to twice the threshold before tripping, which is
 * acceptable: the breaker exists to stop a runaway (a wrong policy revoking hundreds of
 * assignments), not to meter revocations precisely.
 */
import { InternalError } from '../errors';

/**
 * Default threshold: 20 revocations per 5 minutes. Legitimate drift is a handful of
 * out-of-band assignments at a time (one person's portal clicks, one pipeline run); a burst
 * beyond 20 in 5 minutes is far likelier a broken policy, a missing exemption or a bad
 * deployment, and stopping after 20 bounds the damage to what an on-call admin can restore by
 * hand while still letting ordinary enforcement proceed unhindered.
 */
export const DEFAULT_BREAKER = { maxRevocations: 20, windowMs: 5 * 60 * 1000 } as const;

export interface BreakerState {
  policyId: string;
  /** ISO 8601 start of the current fixed window. */
  windowStart: string;
  /** Revocations allowed inside the current window. */
  count: number;
  tripped: boolean;
  trippedAt?: string;
  /** When an admin last reset it. */
  resetAt?: string;
}

/** What the breaker needs of a policy; `Policy` of `shared/policy` fits (its `breaker.windowMs`). */
export interface BreakerPolicyView {
  id: string;
  breaker?: { maxRevocations: number; windowMs: number };
}

export interface RevocationOutcome {
  state: BreakerState;
  /** False: do not revoke, record "would revoke" (breaker) instead. */
  allowed: boolean;
  /** True exactly once, on the revocation that tripped it: audit `breaker.tripped` and alert. */
  justTripped: boolean;
}

/**
 * The settings in force. Settings that are not usable numbers fall back to the default
 * rather than to "unlimited": a typo must never disable the breaker.
 */
export function breakerSettings(policy: BreakerPolicyView): { maxRevocations: number; windowMs: number } {
  const max = policy.breaker?.maxRevocations;
  const windowMs = policy.breaker?.windowMs;
  return {
    maxRevocations: typeof max === 'number' && Number.isInteger(max) && max >= 0 ? max : DEFAULT_BREAKER.maxRevocations,
    windowMs: typeof windowMs === 'number' && Number.isFinite(windowMs) && windowMs > 0 ? windowMs : DEFAULT_BREAKER.windowMs,
  };
}

export function initialBreakerState(policyId: string, now: Date): BreakerState {
  return { policyId, windowStart: now.toISOString(), count: 0, tripped: false };
}

export function isTripped(state: BreakerState | undefined): boolean {
  return state?.tripped === true;
}

/**
 * Records one revocation about to happen for `policy`. A tripped breaker stays tripped (only
 * `resetBreaker` clears it). A window ends `windowMs` after it started; a clock that reads
 * earlier than the window start (skew between instances) counts in the current window.
 */
export function recordRevocation(state: BreakerState | undefined, policy: BreakerPolicyView, now: Date): RevocationOutcome {
  const current = state ?? initialBreakerState(policy.id, now);
  if (current.policyId.toLowerCase() !== policy.id.toLowerCase()) {
    throw new InternalError(`breaker state of policy ${current.policyId} was used for policy ${policy.id}`);
  }
  if (current.tripped) return { state: current, allowed: false, justTripped: false };

  const { maxRevocations, windowMs } = breakerSettings(policy);
  const windowStartMs = Date.parse(current.windowStart);
  const windowOver = Number.isNaN(windowStartMs) || now.getTime() - windowStartMs >= windowMs;
  const inWindow: BreakerState = windowOver ? { ...current, windowStart: now.toISOString(), count: 0 } : current;

  if (inWindow.count + 1 > maxRevocations) {
    return { state: { ...inWindow, tripped: true, trippedAt: now.toISOString() }, allowed: false, justTripped: true };
  }
  return { state: { ...inWindow, count: inWindow.count + 1 }, allowed: true, justTripped: false };
}

/** An admin's reset: enforcement resumes with a fresh window. */
export function resetBreaker(state: BreakerState, now: Date): BreakerState {
  return { policyId: state.policyId, windowStart: now.toISOString(), count: 0, tripped: false, resetAt: now.toISOString() };
}
