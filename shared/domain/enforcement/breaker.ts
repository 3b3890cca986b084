/**
 * The blast-radius breaker, as pure state transitions. It exists for one failure: a bad policy
 * change (or lost records) starting to mass-revoke legitimate, long-standing access. So it
 * counts and holds back revocations of STANDING assignments only; a fresh, unapproved
 * assignment is exactly what enforcement is for and is always revoked, never counted and never
 * spared (otherwise creating decoys would switch enforcement off: finding 1 of issue 10).
 *
 * Standing (`isStanding`), judged from what ARM says about the assignment, never from an event:
 * - it was created (ARM `createdOn`) before the policy set in force took effect, i.e. it
 *   predates the rules now revoking it; or
 * - ARM says AccessManager itself created it (`createdBy`): our own grant's assignment, which
 *   only a disagreement between our records and Azure would revoke; or
 * - it is older than FRESH_FOR_MS (24 h): whatever survived a day of events and reconciles is
 *   not a decoy made to trip the breaker.
 * An assignment without a readable `createdOn` is fresh: revoked without counting.
 *
 * When standing revocations under one policy exceed its threshold inside the window, the breaker
 * trips: standing ones are then only recorded ("would revoke") until an admin resets it. After a
 * reset the breaker PACES for a while instead of tripping again: revocations beyond the window's
 * budget wait for the next window, so the reconcile the reset starts finishes what the admin
 * approved at the breaker's pace.
 *
 * Window: FIXED, not sliding. The state is one small document per policy (window start and a
 * count), cheap to update with an ETag compare-and-swap from every Functions instance; a
 * sliding window would need every revocation time in the document. The price is that a burst
 * straddling a window boundary can reach up to twice the threshold before tripping, which is
 * acceptable: the breaker exists to stop a runaway, not to meter revocations precisely.
 */
import { InternalError } from '../errors';

/**
 * Default threshold: 20 standing revocations per 5 minutes. Legitimate drift is a handful of
 * out-of-band assignments at a time; a burst beyond 20 long-standing ones in 5 minutes is far
 * likelier a broken policy, a missing exemption or a bad deployment, and stopping after 20 bounds
 * the damage to what an on-call admin can restore by hand.
 */
export const DEFAULT_BREAKER = { maxRevocations: 20, windowMs: 5 * 60 * 1000 } as const;

/** Younger than this (and newer than the policy set, and not ours) is fresh. */
export const FRESH_FOR_MS = 24 * 60 * 60 * 1000;

/** How long a reset paces the breaker at most; a reconcile that finishes without waiting ends it sooner. */
export const PACING_MS = 6 * 60 * 60 * 1000;

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
  /** Until then a spent budget makes revocations wait for the next window instead of tripping. */
  pacedUntil?: string;
}

/** What the breaker needs of a policy; `Policy` of `shared/policy` fits (its `breaker.windowMs`). */
export interface BreakerPolicyView {
  id: string;
  breaker?: { maxRevocations: number; windowMs: number };
}

export interface RevocationOutcome {
  state: BreakerState;
  /** False: do not revoke now (tripped: record "would revoke"; paced: retry at `retryAt`). */
  allowed: boolean;
  /** True exactly once, on the revocation that tripped it: audit `breaker.tripped` and alert. */
  justTripped: boolean;
  /** Set while pacing when the window's budget is spent: when the next window opens. */
  retryAt?: string;
}

/** What ARM says about an assignment, for `isStanding`. */
export interface AssignmentAge {
  createdOn?: string;
  createdBy?: string;
}

/**
 * Whether a revocation of this assignment is a revocation of standing access (counted by the
 * breaker, held back while it is tripped). See the module comment.
 */
export function isStanding(assignment: AssignmentAge, context: { policySetEffectiveAt: string | undefined; appPrincipalId: string; now: Date }): boolean {
  const created = assignment.createdOn === undefined ? NaN : Date.parse(assignment.createdOn);
  if (Number.isNaN(created)) return false;
  if (assignment.createdBy && context.appPrincipalId && assignment.createdBy.toLowerCase() === context.appPrincipalId.toLowerCase()) return true;
  const effective = context.policySetEffectiveAt === undefined ? NaN : Date.parse(context.policySetEffectiveAt);
  if (!Number.isNaN(effective) && created < effective) return true;
  return context.now.getTime() - created >= FRESH_FOR_MS;
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

export function isPacing(state: BreakerState | undefined, now: Date): boolean {
  return state?.pacedUntil !== undefined && now.getTime() < Date.parse(state.pacedUntil);
}

/**
 * Records one standing revocation about to happen for `policy`. A tripped breaker stays tripped
 * (only `resetBreaker` clears it). A window ends `windowMs` after it started; a clock that reads
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
    if (isPacing(inWindow, now)) {
      return { state: inWindow, allowed: false, justTripped: false, retryAt: new Date(Date.parse(inWindow.windowStart) + windowMs).toISOString() };
    }
    const { pacedUntil: _ended, ...rest } = inWindow;
    return { state: { ...rest, tripped: true, trippedAt: now.toISOString() }, allowed: false, justTripped: true };
  }
  return { state: { ...inWindow, count: inWindow.count + 1 }, allowed: true, justTripped: false };
}

/** An admin's reset: enforcement resumes with a fresh window, pacing for at most PACING_MS. */
export function resetBreaker(state: BreakerState, now: Date): BreakerState {
  return { policyId: state.policyId, windowStart: now.toISOString(), count: 0, tripped: false, resetAt: now.toISOString(), pacedUntil: new Date(now.getTime() + PACING_MS).toISOString() };
}

/** A paced reconcile finished without waiting: the breaker trips again from now on. */
export function endPacing<T extends BreakerState>(state: T): T {
  if (state.pacedUntil === undefined) return state;
  const { pacedUntil: _ended, ...rest } = state;
  return rest as T;
}
