/** The port to the blast-radius breakers' shared state (one per policy, shared by every instance). */
import type { BreakerPolicyView, BreakerState } from '../domain/enforcement/breaker';

export interface CountOutcome {
  /** False: do not revoke now: the breaker is open (record "would revoke"), or it paces (wait until `retryAt`). */
  allowed: boolean;
  /** True on exactly one call: the revocation that tripped it. */
  justTripped: boolean;
  /** While pacing after a reset: the window's budget is spent, try again from then (ISO 8601). */
  retryAt?: string;
}

export interface BreakerRepository {
  /**
   * Counts one revocation about to happen (`key` names the decision, the same on every
   * redelivery, so a redelivery is not counted twice).
   */
  count(policy: BreakerPolicyView, key: string, now: Date): Promise<CountOutcome>;
  read(policyId: string): Promise<BreakerState | undefined>;
  /** Closes a tripped breaker (admin action) and paces it for a while. False when it was not tripped. */
  reset(policyId: string, now: Date, by: string): Promise<boolean>;
  /** A paced reconcile finished: from now on a spent budget trips the breaker again. */
  endPacing(policyId: string): Promise<void>;
}
