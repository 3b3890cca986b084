/**
 * When each version of the policy set took effect: one document `policy-set-versions` in the
 * `state` container listing each fingerprint with the moment an instance first ran it. During a
 * rolling deployment old and new instances both register theirs; a version keeps its first time,
 * so the two never push each other's time forward.
 */
import type { Container } from '@azure/cosmos';
import { z } from 'zod';
import { ABORT, compareAndSwap, type Mutation } from './cas';

const DOC_ID = 'policy-set-versions';
/** Versions remembered; older ones only matter until their instances are gone. */
const KEPT = 100;

const schema = z.object({
  id: z.literal(DOC_ID),
  versions: z.array(z.object({ fingerprint: z.string(), firstSeenAt: z.string() })),
});

/** The time the policy set with `fingerprint` took effect, registering it (as of `now`) when new. */
export async function policySetEffectiveAt(state: Container, fingerprint: string, now: Date): Promise<string> {
  const result = await compareAndSwap(
    state,
    DOC_ID,
    DOC_ID,
    schema,
    (current): Mutation<z.infer<typeof schema>> => {
      if (current?.versions.some((v) => v.fingerprint === fingerprint)) return ABORT;
      return { id: DOC_ID, versions: [...(current?.versions ?? []), { fingerprint, firstSeenAt: now.toISOString() }].slice(-KEPT) };
    },
    { create: true, maxAttempts: 30 },
  );
  const found = result.doc?.versions.find((v) => v.fingerprint === fingerprint);
  return found?.firstSeenAt ?? now.toISOString();
}
