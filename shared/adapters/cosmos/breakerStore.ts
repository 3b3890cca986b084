/**
 * The blast-radius breaker's state in Cosmos (`state` container, doc `breaker:<policyId>`), so
 * every instance counts the same revocations. The pure transitions live in ./breaker; this adds
 * a per-window set of counted keys so a redelivered event is not counted twice, remembers which
 * revocation tripped it so a redelivery of that one records the trip again (idempotently), and
 * batches the counts of one process into one conditional write (BreakerCounter).
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { Container } from '@azure/cosmos';
import { ABORT, compareAndSwap, type Mutation } from './cas';
import { ConflictError, NotFoundError, PreconditionFailedError } from '../../domain/errors';
import { createDoc, readDoc, replaceDoc } from './document';
import { breakerSettings, endPacing, recordRevocation, resetBreaker, type BreakerPolicyView, type BreakerState } from '../../domain/enforcement/breaker';
import type { BreakerRepository, CountOutcome } from '../../ports/breakers';

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
  pacedUntil: z.string().optional(),
  /** Hash of the revocation key that tripped it (cleared by a reset). */
  trippedBy: z.string().optional(),
  /** Hashes of the revocation keys counted in the current window, newest last (bounded: see COUNTED_LIMIT). */
  counted: z.array(z.string()).default([]),
});
type BreakerDoc = z.infer<typeof breakerDocSchema>;

const docId = (policyId: string) => `breaker:${policyId.toLowerCase()}`;

/**
 * At most this many counted keys are kept: the document is rewritten on every revocation, so it
 * must stay small even under a generous threshold. A redelivery older than the last 256
 * revocations of the window is counted again, which can only trip the breaker earlier.
 */
const COUNTED_LIMIT = 256;

/** 96 bits of sha256: short enough to keep hundreds in one document, far from any collision. */
const keyHash = (key: string): string => createHash('sha256').update(key).digest('hex').slice(0, 24);

interface PendingCount {
  hash: string;
  now: Date;
  resolve(outcome: CountOutcome): void;
  reject(err: unknown): void;
}

interface Lane {
  policy: BreakerPolicyView;
  queue: PendingCount[];
  flushing: boolean;
  /** The document as this process last read or wrote it; Cosmos still decides through If-Match. */
  known?: { doc: BreakerDoc | undefined; etag?: string };
}

/**
 * Applies counts in order to `current` (pure). Returns each outcome and the document to write,
 * or undefined when nothing changed (all already counted, or refused by a tripped breaker).
 */
function applyCounts(current: BreakerDoc | undefined, policy: BreakerPolicyView, counts: readonly PendingCount[]): { outcomes: CountOutcome[]; next: BreakerDoc | undefined } {
  const id = docId(policy.id);
  const limit = Math.min(breakerSettings(policy).maxRevocations + 1, COUNTED_LIMIT);
  let doc = current;
  let changed = false;
  const outcomes = counts.map(({ hash, now }): CountOutcome => {
    if (doc?.counted.includes(hash)) return { allowed: true, justTripped: false };
    // The revocation that tripped it, redelivered (its trip record may not have landed): report the trip again.
    if (doc?.tripped && doc.trippedBy === hash) return { allowed: false, justTripped: true };
    const result = recordRevocation(doc, policy, now);
    if (!result.allowed && !result.justTripped) return { allowed: false, justTripped: false, ...(result.retryAt ? { retryAt: result.retryAt } : {}) };
    const kept = doc !== undefined && doc.windowStart === result.state.windowStart ? doc.counted : [];
    const counted = result.allowed ? [...kept, hash].slice(-limit) : kept;
    const { pacedUntil: _pacing, ...previous } = doc ?? {};
    doc = { ...previous, ...result.state, id, type: 'breaker', counted, ...(result.justTripped ? { trippedBy: hash } : {}) };
    changed = true;
    return { allowed: result.allowed, justTripped: result.justTripped };
  });
  return { outcomes, next: changed ? doc : undefined };
}

/**
 * The counter of one process. Revocations of one policy queue in a lane; whatever queued while a
 * write was in flight goes out together in the next one (group commit), so a burst costs one
 * conditional replace per batch instead of a read and a contended replace per revocation. The
 * first attempt starts from the version this process last saw: a stale one costs one 412 and
 * the regular compare-and-swap (read, mutate, If-Match) takes over. A refusal is never decided
 * on a remembered version: it is confirmed on a fresh read (an admin may have reset the breaker
 * from another instance).
 */
class BreakerCounter {
  private readonly lanes = new Map<string, Lane>();

  constructor(private readonly state: Container) {}

  count(policy: BreakerPolicyView, key: string, now: Date): Promise<CountOutcome> {
    const laneKey = policy.id.toLowerCase();
    let lane = this.lanes.get(laneKey);
    if (!lane) {
      lane = { policy, queue: [], flushing: false };
      this.lanes.set(laneKey, lane);
    }
    lane.policy = policy;
    const pending = new Promise<CountOutcome>((resolve, reject) => lane.queue.push({ hash: keyHash(key), now, resolve, reject }));
    if (!lane.flushing) void this.flush(lane);
    return pending;
  }

  /** Drops what this process remembers of a policy's breaker (after an admin's reset here). */
  forget(policyId: string): void {
    const lane = this.lanes.get(policyId.toLowerCase());
    if (lane) lane.known = undefined;
  }

  private async flush(lane: Lane): Promise<void> {
    lane.flushing = true;
    try {
      while (lane.queue.length > 0) {
        const batch = lane.queue.splice(0);
        try {
          const outcomes = await this.commit(lane, batch);
          batch.forEach((p, i) => p.resolve(outcomes[i]!));
        } catch (err) {
          lane.known = undefined;
          for (const p of batch) p.reject(err);
        }
      }
    } finally {
      lane.flushing = false;
    }
  }

  private async commit(lane: Lane, batch: PendingCount[]): Promise<CountOutcome[]> {
    const id = docId(lane.policy.id);
    const known = lane.known;
    if (known) {
      const { outcomes, next } = applyCounts(known.doc, lane.policy, batch);
      if (outcomes.every((o) => o.allowed)) {
        if (!next) return outcomes;
        try {
          const written = known.doc && known.etag ? await replaceDoc(this.state, next, known.etag, id) : await createDoc(this.state, next);
          lane.known = { doc: written.doc, etag: written.etag };
          return outcomes;
        } catch (err) {
          const stale = err instanceof PreconditionFailedError || err instanceof NotFoundError || err instanceof ConflictError;
          if (!stale) throw err;
        }
      }
      lane.known = undefined;
    }
    let outcomes: CountOutcome[] = [];
    const result = await compareAndSwap(
      this.state,
      id,
      id,
      breakerDocSchema,
      (current): Mutation<BreakerDoc> => {
        const applied = applyCounts(current, lane.policy, batch);
        outcomes = applied.outcomes;
        return applied.next ?? ABORT;
      },
      { create: true, maxAttempts: 30 },
    );
    lane.known = { doc: result.doc, ...(result.etag ? { etag: result.etag } : {}) };
    return outcomes;
  }
}

/**
 * The breakers of every policy in the `state` container. A counted key stays allowed even if the
 * breaker has tripped since: the revocation was admitted within the budget and may already be
 * under way, so refusing it on a redelivery would leave it half done.
 */
export class BreakerStore implements BreakerRepository {
  private readonly counter: BreakerCounter;

  constructor(private readonly state: Container) {
    this.counter = new BreakerCounter(state);
  }

  count(policy: BreakerPolicyView, key: string, now: Date): Promise<CountOutcome> {
    return this.counter.count(policy, key, now);
  }

  async read(policyId: string): Promise<BreakerState | undefined> {
    return (await readDoc(this.state, docId(policyId), docId(policyId), breakerDocSchema))?.doc;
  }

  async reset(policyId: string, now: Date, by: string): Promise<boolean> {
    const id = docId(policyId);
    let wasTripped = false;
    await compareAndSwap(this.state, id, id, breakerDocSchema, (current): Mutation<BreakerDoc> => {
      wasTripped = current?.tripped === true;
      if (!current || !current.tripped) return ABORT;
      const { trippedBy: _trippedBy, trippedAt: _trippedAt, ...rest } = current;
      return { ...rest, ...resetBreaker(current, now), counted: [], resetBy: by };
    });
    this.counter.forget(policyId);
    return wasTripped;
  }

  async endPacing(policyId: string): Promise<void> {
    const id = docId(policyId);
    await compareAndSwap(this.state, id, id, breakerDocSchema, (current): Mutation<BreakerDoc> => {
      return current?.pacedUntil ? endPacing(current) : ABORT;
    });
    this.counter.forget(policyId);
  }
}
