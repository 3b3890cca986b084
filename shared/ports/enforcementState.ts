/**
 * Enforcement's own state, shared by every instance (the `state` container): whether
 * AccessManager still holds its permission, the revocations under way (intent before the ARM
 * delete, record after it), and who keeps creating rogue assignments.
 */
import type { NormalizedAuditEntry } from '../domain/audit/record';
import type { RogueActorState } from '../domain/enforcement/rogueActors';

export interface MissingPermission {
  scope: string;
  actions: string[];
}

/** The last known state of AccessManager's own access. */
export interface SelfAccessState {
  status: 'ok' | 'lost';
  /** When the current status began. */
  since: string;
  /** Idempotency key of the audit record of the current loss. */
  incident?: string;
  /** What the last check found missing (while lost). */
  missing?: MissingPermission[];
  /**
   * AccessManager's own role assignments (ids as scope keys), as last seen: a delete event of one
   * of them is an incident. One no longer listed is kept for a while (`goneSince`) so its delete
   * event, which names who did it, can still be matched; after that the check records it.
   */
  assignments: Array<{ id: string; goneSince?: string }>;
}

export interface SelfAccessRepository {
  read(): Promise<SelfAccessState | undefined>;
  /** Compare-and-swap; `mutate` returning the same object writes nothing. */
  update(mutate: (current: SelfAccessState | undefined) => SelfAccessState | undefined): Promise<{ state: SelfAccessState | undefined; changed: boolean }>;
}

/**
 * A revocation decided but not yet confirmed by ARM: written before the delete, removed once
 * the record of its outcome is in the ledger. What a crash leaves behind, a timer finishes.
 */
export interface RevocationIntent {
  /** The decision's key; also the idempotency key of its record. */
  key: string;
  assignmentId: string;
  /** The record to append once ARM confirms the assignment is gone. */
  entry: NormalizedAuditEntry;
  createdAt: string;
}

export interface RevocationIntentRepository {
  put(intent: RevocationIntent): Promise<void>;
  remove(key: string): Promise<void>;
  /** Intents written before `before`: a crash or an outage interrupted them. */
  stale(before: Date, limit: number): Promise<RevocationIntent[]>;
}

export interface RogueActorRepository {
  /**
   * Applies `mutate` to the actor's counter (compare-and-swap) and returns what it decided;
   * `changed: false` writes nothing (and may be answered from what this process last saw).
   */
  count<R>(actorId: string, mutate: (current: RogueActorState | undefined) => { state: RogueActorState; result: R; changed: boolean }): Promise<R>;
}
