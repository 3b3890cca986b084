/**
 * The blast-radius breaker's state in Cosmos (`state` container, doc `breaker:<policyId>`), so
 * every instance counts the same revocations. The pure transitions live in ./breaker; this adds
 * a per-window set of counted keys so a redelivered event is not counted twice.
 */
import { z } from 'zod';
import type { Container } from '@azure/cosmos';
import { ABORT, compareAndSwap, type Mutation } from '../store/cas';
import { readDoc } from '../store/document';
import { breakerSettings, recordRevocation, resetBreaker, type BreakerPolicyView, type BreakerState } from './breaker';

const breakerDocSchema = z.object({
  id: z.string(),
  type: z.literal('breaker').default('breaker'),
  policyId: z.string(),
  windowStart: z.string(),
  count: z.number().int().nonnegative(),
  tripped: z.boolean(),
  trippedAt: z.string().optional(),
  resetAt: z.string().optional(),
  resetBy: z.string().optional(),
  /** Revocation keys counted in the current window (bounded by the threshold). */
  counted: z.array(z.string()).default([]),
});
type BreakerDoc = z.infer<typeof breakerDocSchema>;

const docId = (policyId: string) => `breaker:${policyId.toLowerCase()}`;

export interface CountOutcome {
  /** False: the breaker is open; record "would revoke" instead of revoking. */
  allowed: boolean;
  /** True on exactly one call: the revocation that tripped it. */
  justTripped: boolean;
}

export async function countRevocation(state: Container, policy: BreakerPolicyView, key: string, now: Date): Promise<CountOutcome> {
  const id = docId(policy.id);
  let outcome: CountOutcome = { allowed: false, justTripped: false };
  await compareAndSwap(
    state,
    id,
    id,
    breakerDocSchema,
    (current): Mutation<BreakerDoc> => {
      if (current?.counted.includes(key)) {
        // Already counted (a redelivery): it was allowed then unless the breaker has since tripped.
        outcome = { allowed: !current.tripped, justTripped: false };
        return ABORT;
      }
      const result = recordRevocation(current, policy, now);
      outcome = { allowed: result.allowed, justTripped: result.justTripped };
      if (!result.allowed && !result.justTripped) return ABORT;
      const sameWindow = current !== undefined && current.windowStart === result.state.windowStart;
      const kept = sameWindow ? current.counted : [];
      const counted = result.allowed ? [...kept, key].slice(-(breakerSettings(policy).maxRevocations + 1)) : kept;
      return { ...(current ?? {}), ...result.state, id, type: 'breaker', counted };
    },
    { create: true, maxAttempts: 30 },
  );
  return outcome;
}

export async function readBreaker(state: Container, policyId: string): Promise<BreakerState | undefined> {
  return (await readDoc(state, docId(policyId), docId(policyId), breakerDocSchema))?.doc;
}

/** Closes a tripped breaker (admin action). Returns false when it was not tripped. */
export async function resetBreakerDoc(state: Container, policyId: string, now: Date, by: string): Promise<boolean> {
  const id = docId(policyId);
  let wasTripped = false;
  await compareAndSwap(state, id, id, breakerDocSchema, (current): Mutation<BreakerDoc> => {
    wasTripped = current?.tripped === true;
    if (!current || !current.tripped) return ABORT;
    return { ...current, ...resetBreaker(current, now), counted: [], resetBy: by };
  });
  return wasTripped;
}
