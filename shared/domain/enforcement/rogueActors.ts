/**
 * Repeated rogue creations by one actor: a detective control beside enforcement (which revokes
 * every one of them anyway). Each revocation of a fresh, unapproved assignment is counted
 * against the principal ARM names as its creator; the third within an hour raises one security
 * alert naming that principal, and the next alert for them comes only in a later window.
 */

export const ROGUE_ACTOR_ALERT = { creations: 3, windowMs: 60 * 60 * 1000 } as const;

export interface RogueActorState {
  actorId: string;
  windowStart: string;
  count: number;
  /** Hashes of the decisions counted in this window, so a redelivery is not counted twice. */
  counted: string[];
  /** Set when this window's alert was raised. */
  alertedAt?: string;
}

export interface RogueCount {
  state: RogueActorState;
  /** True exactly once per window: record `enforcement.rogueActor` and alert. */
  alert: boolean;
  /**
   * False when nothing needs storing: this window's alert is out already, so further creations
   * change nothing that matters (a burst by one actor then costs no write at all).
   */
  changed: boolean;
}

const COUNTED_LIMIT = 64;

/** Counts one revoked fresh assignment made by `actorId` (`decision` names it, the same on every redelivery). */
export function countRogueCreation(state: RogueActorState | undefined, actorId: string, decision: string, now: Date, settings: { creations: number; windowMs: number } = ROGUE_ACTOR_ALERT): RogueCount {
  const start = state ? Date.parse(state.windowStart) : NaN;
  const fresh = !state || Number.isNaN(start) || now.getTime() - start >= settings.windowMs;
  const current: RogueActorState = fresh ? { actorId, windowStart: now.toISOString(), count: 0, counted: [] } : state;
  if (current.counted.includes(decision) || current.alertedAt) return { state: current, alert: false, changed: false };
  const next: RogueActorState = { ...current, count: current.count + 1, counted: [...current.counted, decision].slice(-COUNTED_LIMIT) };
  if (next.count >= settings.creations) return { state: { ...next, alertedAt: now.toISOString() }, alert: true, changed: true };
  return { state: next, alert: false, changed: true };
}
