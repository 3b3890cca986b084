/**
 * Enforcement's own state, shared by every instance (the `state` container): whether
 * AccessManager still holds its permission, the revocations decided (intent before the ARM
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
 * A revocation decided: written before the ARM delete, it holds the decision's key for whoever
 * created it (or took it over) and says what to record once ARM confirms. It stays after the
 * record (real Cosmos drops it after its ttl): the record is the proof the revocation finished,
 * so finishing costs no write. What a crash leaves without a record, a timer finishes.
 */
export interface RevocationIntent {
  /** The decision's key; also the idempotency key of its record. */
  key: string;
  assignmentId: string;
  /** The record to append once ARM confirms the assignment is gone. */
  entry: NormalizedAuditEntry;
  createdAt: string;
}

/** An intent as stored: who holds it since when, and where the timer's scan has got to. */
export interface StoredIntent extends RevocationIntent {
  /** When it was created or last taken over, on the app's clock. */
  claimedAt: string;
  /** Opaque: the stored version, for takeOver. */
  version: string;
  /** Opaque: pass it to `checked` to mark everything before this intent as dealt with. */
  before: string;
}

/**
 * While it holds an intent, the caller alone may record its key without the ledger's marker,
 * until `heldUntil` (performance.now() milliseconds): after that a takeover may have begun.
 */
export interface IntentHold {
  heldUntil: number;
}

export interface RevocationIntentRepository {
  /** Creates the intent and holds it; when it exists already, the stored one (held by someone else, or finished). */
  claim(intent: RevocationIntent): Promise<IntentHold | { held: StoredIntent }>;
  /** Takes over an intent whose holder's lease (wall clock) has run out; undefined while it runs or when another took it first. */
  takeOver(intent: StoredIntent): Promise<IntentHold | undefined>;
  /** Lets the next attempt take the intent over at once (a transient ARM failure: the outcome of the delete is unknown). */
  release(intent: RevocationIntent): Promise<void>;
  /** Drops an intent whose decision no longer stands or whose failure is recorded. */
  remove(key: string): Promise<void>;
  /** Intents written or taken over since the last `checked` mark, oldest first; `before` of the page marks all of them. */
  unchecked(limit: number): Promise<{ intents: StoredIntent[]; before?: string }>;
  /** Moves the mark forward (never back): intents before it are not listed again until written again. */
  checked(before: string): Promise<void>;
  /** Every intent created before `before`, finished or not (diagnostics and the crash test). */
  stale(before: Date, limit: number): Promise<RevocationIntent[]>;
}

export interface RogueActorRepository {
  /**
   * Applies `mutate` to the actor's counter (compare-and-swap) and returns what it decided;
   * `changed: false` writes nothing (and may be answered from what this process last saw).
   */
  count<R>(actorId: string, mutate: (current: RogueActorState | undefined) => { state: RogueActorState; result: R; changed: boolean }): Promise<R>;
}
