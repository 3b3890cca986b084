/** The port to the blast-radius breakers' shared state (one per policy, shared by every instance). */
import type { BreakerPolicyView, BreakerState } from '../domain/enforcement/breaker';

export interface CountOutcome {
  /** False: the breaker is open; record "would revoke" instead of revoking. */
  allowed: boolean;
  /** True on exactly one call: the revocation that tripped it. */
  justTripped: boolean;
}

export interface BreakerRepository {
  /**
   * Counts one revocation about to happen (`key` names the decision, the same on every
   * redelivery, so a redelivery is not counted twice).
   */
  count(policy: BreakerPolicyView, key: string, now: Date): Promise<CountOutcome>;
  read(policyId: string): Promise<BreakerState | undefined>;
  /** Closes a tripped breaker (admin action). False when it was not tripped. */
  reset(policyId: string, now: Date, by: string): Promise<boolean>;
}
