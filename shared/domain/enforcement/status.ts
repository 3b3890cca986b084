/** The enforcement view an admin reads (`GET /api/enforcement`): each policy's mode and its breaker. */

/** One policy's enforcement as an admin sees it (`GET /api/enforcement`). */
export interface PolicyEnforcement {
  policyId: string;
  scope: string;
  /** As written in the policy. */
  mode: 'enforce' | 'audit';
  /** What happens now: `audit` too while the breaker is tripped. */
  effectiveMode: 'enforce' | 'audit';
  breaker: {
    maxRevocations: number;
    window: string;
    tripped: boolean;
    trippedAt?: string;
    /** Revocations counted in the current window. */
    count: number;
    windowStart?: string;
    resetAt?: string;
  };
}
