/**
 * The background enforcer: reacts to role assignment events and the reconcile timer. Reads the
 * assignment from ARM (the event does not say who was given access), decides with the pure
 * rule in domain/enforcement/decide, then acts: revoke, record "would revoke", record an
 * exemption, or nothing.
 *
 * A revocation is recorded only once ARM confirms it: its intent (with the record to write) is
 * created first and holds the decision's key, then the assignment is deleted, then
 * `assignment.revoked` is appended under that key. The intent stays (the record proves it
 * finished), and its holder needs no idempotency marker: every other writer of the key (a
 * takeover after a crash, the timer) asks the ledger first. A refused delete (AccessManager lost
 * its permission) is recorded as `assignment.revokeFailed`, never as revoked; an interrupted one
 * is finished by `finishRevocations` (expireGrants timer) from the intent. Only revocations of
 * STANDING access pass the blast-radius breaker (domain/enforcement/breaker); fresh rogue
 * assignments are always revoked and counted per creator instead, for an alert naming repeat
 * offenders.
 *
 * Per event (measured by bench/enforcement.ts): an approved assignment costs 1 ARM read and 1
 * coverage point read, nothing written; a fresh rogue one the ARM read, the coverage read, the
 * intent (1 create), the ARM delete and the record (1 create): 3 store operations, one above the
 * job's floor (plus the creator's counter for their first three in an hour; 5 before issue 14
 * let the intent stand in for the marker and stay); an exempt one the ARM read and the audit
 * record, and nothing at all in the store once this process recorded it.
 */
import type { LiveAssignment } from '../ports/roleAssignments';
import type { Deps } from '../ports/deps';
import type { IntentHold, RevocationIntent, StoredIntent } from '../ports/enforcementState';
import { parseAuditEntry, type AuditActor, type AuditEntry } from '../domain/audit/record';
import { isManagementGroupScope, scopeKey } from '../domain/armIds';
import { isGoverned } from '../domain/governance';
import { mapLimited } from '../domain/concurrency';
import type { Caller } from '../domain/caller';
import { InternalError, NotFoundError, PermissionDeniedError, TransientError, ValidationError } from '../domain/errors';
import { endGrant } from './grants';
import { flushGrantAudit } from './outbox';
import { notifySafely } from './notify';
import { handleGuardrailEvent } from './guardrails';
import { liveEntries } from '../domain/grants/grant';
import type { PolicyEnforcement } from '../domain/enforcement/status';
import { decodeArmEvent, type ArmEvent, type RoleAssignmentEvent } from '../domain/events/armEvent';
import type { ReceivedEvent } from '../domain/events/envelope';
import { fitForLedger } from '../domain/audit/auditFit';
import { applyBreakerOutcome, decideAssignment, decideDeletedAssignment, decideReconcile, findExemption, goneDecision, needsCoverage, roleLabel, type Decision } from '../domain/enforcement/decide';
import { isStanding } from '../domain/enforcement/breaker';
import { countRogueCreation, ROGUE_ACTOR_ALERT } from '../domain/enforcement/rogueActors';
import { checkSelfAccess, isOwnAssignment, reportPermissionDenied, selfAssignmentTouched } from './selfAccess';

type EnforcerDeps = Pick<
  Deps,
  | 'requests'
  | 'grants'
  | 'breakers'
  | 'policies'
  | 'roleAssignments'
  | 'audit'
  | 'notifier'
  | 'clock'
  | 'appPrincipalId'
  | 'config'
  | 'guardrails'
  | 'directory'
  | 'selfAccess'
  | 'revocations'
  | 'rogueActors'
  | 'policySetEffectiveAt'
  | 'governed'
  | 'pacing'
>;

export interface Trigger {
  via: 'event' | 'reconcile' | 'sweep';
  eventId?: string;
  /** Who made the change, from the event's claims (absent for reconcile). */
  caller?: { objectId?: string; upn?: string; appId?: string };
  /**
   * Reconcile saw the assignment in the listing of this governed scope, though it sits above it
   * (a management group's, or the tenant root's): judged by that scope's policy, since it applies there.
   */
  inheritedInto?: string;
  /** After a breaker reset: wait out a spent budget (until this time, ms since the epoch) instead of deferring. */
  pacedUntil?: number;
}

export interface EnforcementResult {
  assignmentId: string;
  decision: Decision;
  /** What happened in Azure for a revoke: deleted, already gone, refused (permission), or deferred (paced breaker). */
  outcome?: 'deleted' | 'gone' | 'failed' | 'deferred';
}

function actorOf(trigger: Trigger): AuditActor {
  const c = trigger.caller;
  const actor: AuditActor = {};
  if (c?.objectId) actor.id = c.objectId;
  if (c?.upn) actor.name = c.upn;
  if (c?.appId) actor.appId = c.appId;
  return Object.keys(actor).length ? actor : { name: trigger.via === 'event' ? 'unknown' : 'unknown (found by reconcile)' };
}

/** One decision per assignment instance: ids can be reused after a delete, createdOn tells instances apart. */
function decisionKey(action: string, a: Pick<LiveAssignment, 'id' | 'createdOn'>): string {
  return `${action}:${scopeKey(a.id)}:${a.createdOn ?? ''}`;
}

/** Appends `entry` once per `key`, fitted to the ledger's field limits. */
async function recordOnce(deps: Pick<EnforcerDeps, 'audit'>, entry: AuditEntry, key: string): Promise<void> {
  await deps.audit.append(fitForLedger(entry), { idempotencyKey: key });
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Judges one live assignment and acts on the decision. Idempotent: a repeat records nothing new. */
export async function enforceAssignment(deps: EnforcerDeps, live: LiveAssignment | undefined, assignmentId: string, trigger: Trigger): Promise<EnforcementResult> {
  const now = deps.clock.now();
  if (!live) return { assignmentId, decision: goneDecision() };

  // An assignment above every policy that governs where it applies is judged where it applies.
  const own = deps.policies.governing(live.scope);
  const inheritedInto = !own && trigger.inheritedInto ? trigger.inheritedInto : undefined;
  const policy = own ?? (inheritedInto ? deps.policies.governing(inheritedInto) : undefined);
  const judgedAt = { ...live, scope: inheritedInto ?? live.scope };
  const judged = { assignment: live, policy, exemption: findExemption(deps.policies, judgedAt), appPrincipalId: deps.appPrincipalId };
  // Our own identity, exemptions and ungoverned scopes need no store read at all.
  const coverage = needsCoverage(judged) ? await deps.grants.readCoverage(live.principalId, live.roleDefinitionId, live.scope) : undefined;
  let decision = decideAssignment({
    ...judged,
    coverage: liveEntries(coverage, now),
    isOwnGrantAssignment: coverage?.assignmentId !== undefined && scopeKey(coverage.assignmentId) === scopeKey(live.id),
    inheritedInto,
    contains: (outer, inner) => deps.policies.contains(outer, inner),
    now,
  });

  // Only standing access passes the breaker: a fresh rogue assignment is always revoked.
  const standing = decision.action === 'revoke' && isStanding(live, { policySetEffectiveAt: deps.policySetEffectiveAt, appPrincipalId: deps.appPrincipalId, now });
  if (decision.action === 'revoke' && standing) {
    const governing = deps.policies.byId(decision.policyId);
    if (!governing) throw new InternalError(`Policy ${decision.policyId} decided but is not loaded.`, 'PolicyMissing');
    const counted = await deps.breakers.count(governing, decisionKey('revoke', live), now);
    if (counted.justTripped) await recordBreakerTrip(deps, governing.id, live, trigger);
    if (counted.retryAt) {
      // Pacing after a reset: this window's budget is spent. Wait for the next one, or let a later run do it.
      const waitMs = Math.max(0, Date.parse(counted.retryAt) - now.getTime());
      if (trigger.pacedUntil !== undefined && Date.now() + waitMs <= trigger.pacedUntil) {
        await sleep(waitMs + 10);
        return enforceAssignment(deps, await deps.roleAssignments.get(live.id), live.id, trigger);
      }
      if (trigger.via === 'event') throw new TransientError(`The breaker of ${governing.id} paces revocations after a reset; retry after ${counted.retryAt}.`, 'BreakerPacing', waitMs);
      return { assignmentId: live.id, decision, outcome: 'deferred' };
    }
    decision = applyBreakerOutcome(decision, counted);
  }

  const base = {
    actor: actorOf(trigger),
    principalId: live.principalId,
    scope: live.scope,
    roleDefinitionId: live.roleDefinitionId,
    assignmentId: live.id,
    eventId: trigger.eventId,
  };
  const detail = { via: trigger.via, ...(inheritedInto ? { inheritedInto } : {}) };
  switch (decision.action) {
    case 'none':
    case 'allow':
      return { assignmentId: live.id, decision };
    case 'exempt':
      await recordOnce(
        deps,
        { ...base, action: 'assignment.exempt', policyId: decision.policyId, reason: decision.reason, details: { exemption: decision.exemptionKind, ...detail } },
        decisionKey('exempt', live),
      );
      return { assignmentId: live.id, decision };
    case 'wouldRevoke':
      await recordOnce(
        deps,
        { ...base, action: 'assignment.wouldRevoke', policyId: decision.policyId, mode: 'audit', reason: decision.reason, details: { breaker: decision.breaker === true, standing, ...detail } },
        decisionKey('wouldRevoke', live),
      );
      return { assignmentId: live.id, decision };
    case 'revoke': {
      const entry = parseAuditEntry(fitForLedger({ ...base, action: 'assignment.revoked', policyId: decision.policyId, mode: 'enforce', reason: decision.reason, details: { standing, ...detail } }));
      const intent: RevocationIntent = { key: decisionKey('revoke', live), assignmentId: live.id, entry, createdAt: now.toISOString() };
      const outcome = await revoke(deps, intent, live, decision, base.actor);
      if (outcome !== 'failed') {
        await notifySafely(deps, {
          kind: 'assignment.revoked',
          // The security destination hears it; the principal who was given rogue access does not.
          recipients: [],
          securityChannel: true,
          subject: `Revoked: ${roleLabel(live.roleDefinitionId)} for ${live.principalId}`,
          text: `${decision.reason}. Made by ${base.actor.name ?? base.actor.id ?? 'unknown'}.`,
          policyId: decision.policyId,
          key: intent.key,
        });
        if (!standing) await countRogueActor(deps, live, trigger, intent.key);
      }
      return { assignmentId: live.id, decision, outcome };
    }
  }
}

/**
 * Deletes the assignment and records the outcome ARM gave: the coverage read before it, the
 * intent and the record are the three store operations of a revocation. The intent holds the
 * decision's key: a duplicate delivery handled at the same moment finds it and is retried later
 * (by then ARM no longer has the assignment), one a crash left behind is taken over once its
 * lease ran out. A refusal (403) is recorded as `assignment.revokeFailed` and alerted; a transient
 * failure releases the intent to the retry.
 */
async function revoke(deps: EnforcerDeps, intent: RevocationIntent, live: LiveAssignment, decision: Extract<Decision, { action: 'revoke' }>, actor: AuditActor): Promise<'deleted' | 'gone' | 'failed'> {
  const hold = await holdIntent(deps, intent, live);
  if (!hold) return 'gone';
  let outcome: 'deleted' | 'gone';
  try {
    outcome = await deps.roleAssignments.delete(live.id);
  } catch (err) {
    if (!(err instanceof PermissionDeniedError)) {
      await deps.revocations.release(intent).catch(() => undefined);
      throw err;
    }
    const key = intent.key.replace(/^revoke:/, 'revokeFailed:');
    await recordOnce(
      deps,
      {
        ...intent.entry,
        action: 'assignment.revokeFailed',
        actor,
        at: undefined,
        reason: `${decision.reason}; Azure refused the delete, so the assignment is still there: ${err.message}`,
      },
      key,
    );
    await deps.revocations.remove(intent.key);
    console.error(`SECURITY: could not revoke ${live.id}: ${err.message}`);
    await notifySafely(deps, {
      kind: 'assignment.revokeFailed',
      recipients: [],
      securityChannel: true,
      severity: 'critical',
      subject: `Could not revoke ${roleLabel(live.roleDefinitionId)} for ${live.principalId}`,
      text: `${decision.reason}. Azure refused AccessManager's delete: ${err.message}. It is retried once AccessManager has its permission again.`,
      policyId: decision.policyId,
      key,
    });
    await reportPermissionDenied(deps, err, `revoking ${live.id}`);
    return 'failed';
  }
  await recordRevocation(deps, intent, outcome, hold);
  return outcome;
}

/**
 * The intent of this decision, held: created, or taken over from an attempt a crash left behind.
 * Undefined when the decision is recorded already; TransientError while another attempt holds it.
 */
async function holdIntent(deps: EnforcerDeps, intent: RevocationIntent, live: LiveAssignment): Promise<IntentHold | undefined> {
  const claimed = await deps.revocations.claim(intent);
  if (!('held' in claimed)) return claimed;
  if ((await deps.audit.recorded([intent.key])).has(intent.key)) return undefined;
  const taken = await deps.revocations.takeOver(claimed.held);
  if (!taken) throw new TransientError(`Another attempt is revoking ${live.id}; retry in a few seconds.`, 'RevocationInProgress', 5_000);
  return TAKEN_OVER;
}

/**
 * A taken-over intent's record goes through the ledger's marker, after a look for the record: the
 * attempt it was taken from may still have one on its way, and the marker is what two late
 * writers of a key agree on.
 */
const TAKEN_OVER: IntentHold = { heldUntil: 0 };

/** ARM confirmed the assignment is gone: the record, under the intent's key (held: no marker). */
async function recordRevocation(deps: Pick<EnforcerDeps, 'audit'>, intent: RevocationIntent, outcome: 'deleted' | 'gone', hold: IntentHold): Promise<void> {
  await deps.audit.append({ ...intent.entry, details: { ...(intent.entry.details ?? {}), outcome } }, { idempotencyKey: intent.key, keyHeldUntil: hold.heldUntil });
}

/** Revocation intents without a record this long after they were claimed were interrupted (a crash, an ARM outage): finish them. */
export const INTENT_GRACE_MS = 30_000;

/** Pages of intents one timer run looks at, at most. */
const SWEEP_PAGES = 20;

/**
 * Finishes revocations a crash or an outage interrupted. Intents stay after their record, so the
 * timer scans them in the order the store wrote them, from where its last scan ended, and asks
 * the ledger which have their record (one query per page). One without: an assignment ARM no
 * longer has is recorded as revoked; one still there is judged again (and revoked, if it still
 * must be). The scan stops at an intent still inside its grace and does not pass one that failed.
 */
export async function finishRevocations(deps: EnforcerDeps, limit = 100): Promise<{ finished: number; failures: number }> {
  let finished = 0;
  let failures = 0;
  let lastMark: string | undefined;
  for (let page = 0; page < SWEEP_PAGES; page++) {
    const { intents, before } = await deps.revocations.unchecked(limit);
    // Nothing new, or the same page again (its intents are too recent for the mark to pass).
    if (intents.length === 0 || before === undefined || before === lastMark) break;
    lastMark = before;
    const recorded = await deps.audit.recorded(intents.map((i) => i.key));
    const now = deps.clock.now().getTime();
    let stopAt: string | undefined;
    for (const intent of intents) {
      if (recorded.has(intent.key)) continue;
      if (now - Date.parse(intent.claimedAt) < INTENT_GRACE_MS) {
        stopAt ??= intent.before;
        break;
      }
      try {
        if (await finishRevocation(deps, intent)) finished++;
        else stopAt ??= intent.before;
      } catch (err) {
        failures++;
        stopAt ??= intent.before;
        console.warn(`revocation ${intent.key}: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
    await deps.revocations.checked(stopAt ?? before);
    if (stopAt !== undefined || intents.length < limit) break;
  }
  return { finished, failures };
}

/** One interrupted revocation; false while its holder's lease still runs. */
async function finishRevocation(deps: EnforcerDeps, intent: StoredIntent): Promise<boolean> {
  if (!(await deps.revocations.takeOver(intent))) return false;
  const live = await deps.roleAssignments.get(intent.assignmentId);
  if (!live || decisionKey('revoke', live) !== intent.key) {
    // Gone (the delete happened before the interruption, or someone else made it): that instance is revoked.
    await recordRevocation(deps, intent, 'gone', TAKEN_OVER);
    if (live) await enforceAssignment(deps, live, live.id, { via: 'sweep' });
  } else {
    // Still there: judged afresh, under a new intent if it must still go.
    await deps.revocations.remove(intent.key);
    await enforceAssignment(deps, live, live.id, { via: 'sweep' });
  }
  return true;
}

/** Who created a rogue assignment, per ARM (`createdBy`), else per the event's claims. */
async function countRogueActor(deps: EnforcerDeps, live: LiveAssignment, trigger: Trigger, decision: string): Promise<void> {
  const actorId = (live.createdBy ?? trigger.caller?.objectId)?.toLowerCase();
  if (!actorId || actorId === deps.appPrincipalId.toLowerCase()) return;
  const now = deps.clock.now();
  try {
    const counted = await deps.rogueActors.count(actorId, (current) => {
      const result = countRogueCreation(current, actorId, decision, now);
      return { state: result.state, result, changed: result.changed };
    });
    if (!counted.alert) return;
    const upn = trigger.caller?.objectId?.toLowerCase() === actorId ? trigger.caller.upn : undefined;
    const name = upn ?? (await deps.directory.getUser(actorId).catch(() => undefined))?.userPrincipalName;
    const who = name ? `${name} (${actorId})` : actorId;
    const key = `enforcement.rogueActor:${actorId}:${counted.state.windowStart}`;
    const reason = `${who} created ${counted.state.count} role assignments nobody approved within ${ROGUE_ACTOR_ALERT.windowMs / 60_000} minutes; each was revoked`;
    await recordOnce(deps, { action: 'enforcement.rogueActor', actor: { id: actorId, ...(name ? { name } : {}) }, principalId: live.principalId, scope: live.scope, assignmentId: live.id, reason, details: { count: counted.state.count, since: counted.state.windowStart } }, key);
    console.error(`SECURITY: ${reason}`);
    await notifySafely(deps, { kind: 'enforcement.rogueActor', recipients: [], securityChannel: true, subject: `Repeated unapproved role assignments by ${name ?? actorId}`, text: `${reason}. The latest gave ${roleLabel(live.roleDefinitionId)} to ${live.principalId} at ${live.scope}.`, key });
  } catch (err) {
    // Detective only: the revocation stands even if counting fails.
    console.warn(`Counting rogue creations of ${actorId} failed: ${err instanceof Error ? err.message : String(err)}`);
  }
}

async function recordBreakerTrip(deps: EnforcerDeps, policyId: string, live: LiveAssignment, trigger: Trigger): Promise<void> {
  const policy = deps.policies.byId(policyId);
  const tripKey = `breaker.tripped:${policyId}:${decisionKey('revoke', live)}`;
  const reason = `more than ${policy?.breaker.maxRevocations ?? '?'} revocations of standing access within ${policy?.breaker.window ?? '?'}: standing assignments under ${policyId} are only recorded ("would revoke") until an admin resets the breaker; new unapproved assignments are still revoked`;
  await recordOnce(deps, { action: 'breaker.tripped', actor: { id: deps.appPrincipalId, name: 'AccessManager' }, policyId, mode: 'audit', scope: policy?.scope, assignmentId: live.id, eventId: trigger.eventId, reason }, tripKey);
  console.error(`SECURITY: blast-radius breaker of policy ${policyId} tripped: ${reason}`);
  await notifySafely(deps, {
    kind: 'breaker.tripped',
    recipients: [],
    securityChannel: true,
    severity: 'critical',
    subject: `Enforcement of standing access paused for ${policyId}`,
    text: `The blast-radius breaker of ${policyId} tripped: ${reason}. Review the "would revoke" records, fix the policy if it is wrong, then reset (POST /api/enforcement/reset).`,
    policyId,
    // One notification per trip (the trip's own key): a minute-based key swallowed a second trip after a reset.
    key: tripKey,
  });
}

/**
 * A delete event. Checked against ARM first: an assignment ARM still has was not deleted (a
 * forged or stale event ends nothing). A delete of one of AccessManager's own assignments is an
 * incident; one of an assignment that backs active grants ends them.
 */
async function handleDelete(deps: EnforcerDeps, event: RoleAssignmentEvent, log: (line: string) => void): Promise<void> {
  const deletedByApp = event.caller.objectId?.toLowerCase() === deps.appPrincipalId.toLowerCase();
  if (deletedByApp) return;
  // undefined: ARM refused to tell us (AccessManager may have lost even its read permission).
  let stillThere: boolean | undefined;
  try {
    stillThere = (await deps.roleAssignments.get(event.assignmentId)) !== undefined;
  } catch (err) {
    if (!(err instanceof PermissionDeniedError)) throw err;
  }
  if (stillThere) {
    log(`armEvents ${event.eventId}: delete of ${event.assignmentId} ignored: ARM still has the assignment`);
    return;
  }
  const actor = actorOf({ via: 'event', caller: event.caller });
  if (await isOwnAssignment(deps, event.assignmentId)) {
    await selfAssignmentTouched(deps, { kind: 'deleted', assignmentId: event.assignmentId, actor, eventId: event.eventId, ...(stillThere === undefined ? { detail: 'AccessManager can no longer read it back' } : {}) });
  }
  // Ending grants needs ARM's word that the assignment is gone: retried (Event Grid, reconcile) until it can say.
  if (stillThere === undefined) throw new PermissionDeniedError(`armEvents ${event.eventId}: cannot confirm with ARM that ${event.assignmentId} is gone: AccessManager may not read it.`);
  const backing = await deps.grants.activeOnAssignment(event.assignmentId, event.assignmentName);
  // A redelivery after an interrupted end: the grant has ended, its record is still queued.
  for (const g of backing) if (g.status !== 'active') await flushGrantAudit(deps, g);
  const decision = decideDeletedAssignment({ assignmentId: event.assignmentId, grantsBackedByIt: backing, deletedByApp, now: deps.clock.now() });
  if (decision.action !== 'endGrants') return;
  for (const grantId of decision.grantIds) await endGrant(deps, grantId, 'endedExternally', actor, decision.reason);
}

/**
 * The armEvents function: one Event Grid event about an ARM write or delete. Only the event's
 * decoding may refuse it as bad input (400: Event Grid drops it); a validation failure after
 * that is our fault, not the sender's, and must not drop the event silently: it becomes a 500,
 * so Event Grid retries and finally dead-letters it where it can be seen.
 */
export async function handleArmEvent(deps: EnforcerDeps, received: ReceivedEvent, log: (line: string) => void): Promise<void> {
  const event = decodeArmEvent(received);
  try {
    await handleDecoded(deps, event, log);
  } catch (err) {
    if (err instanceof ValidationError) throw new InternalError(`armEvents ${event.eventId}: handling a valid event failed: ${err.message}`, 'EnforcementFailed');
    throw err;
  }
}

/** The scope an event is about: where it must be governed for AccessManager to act. */
function eventScope(event: ArmEvent): string | undefined {
  if (event.kind === 'roleAssignmentWrite' || event.kind === 'roleAssignmentDelete') return event.assignmentScope;
  if ('resourceId' in event) return event.resourceId;
  return undefined;
}

async function handleDecoded(deps: EnforcerDeps, event: ArmEvent, log: (line: string) => void): Promise<void> {
  const scope = eventScope(event);
  if (scope !== undefined && !isGoverned(deps.governed, scope)) {
    // Another subscription's topic pointed at us (or a governed one was dropped from the settings): never act there, never ask ARM.
    log(`armEvents ${event.eventId}: ${scope} is outside the governed scopes: ignored`);
    return;
  }
  switch (event.kind) {
    case 'roleAssignmentWrite': {
      const live = await deps.roleAssignments.get(event.assignmentId);
      const result = await enforceAssignment(deps, live, event.assignmentId, { via: 'event', eventId: event.eventId, caller: event.caller });
      if (deps.config.VERBOSE_LOGS || result.decision.action === 'revoke') log(`armEvents ${event.eventId}: ${result.decision.action} ${event.assignmentId} (${result.decision.reason})`);
      if (live && live.principalId.toLowerCase() === deps.appPrincipalId && event.caller.objectId?.toLowerCase() !== deps.appPrincipalId) {
        if (live.updatedOn && live.updatedOn !== live.createdOn) {
          // Someone else changed AccessManager's own assignment (ARM refuses to change its role or principal, so a condition or description): an incident.
          await selfAssignmentTouched(deps, {
            kind: 'changed',
            assignmentId: live.id,
            version: live.updatedOn,
            actor: actorOf({ via: 'event', caller: event.caller }),
            eventId: event.eventId,
            detail: live.condition ? `it now carries the condition ${live.condition}` : 'updated',
          });
        } else {
          // A new assignment for AccessManager (restored by an admin): learn it, and say so if access is back.
          await checkSelfAccess(deps, { noticedWhile: `a role assignment for AccessManager was created by ${event.caller.upn ?? event.caller.objectId ?? 'someone'}` });
        }
      }
      return;
    }
    case 'roleAssignmentDelete':
      return handleDelete(deps, event, log);
    case 'storageAccountWrite':
    case 'keyVaultWrite':
    case 'storageAccountAction':
      return handleGuardrailEvent(deps, event, log);
    default:
      return;
  }
}

export interface ReconcileReport {
  scopes: string[];
  assignments: number;
  revoked: number;
  wouldRevoke: number;
  exempt: number;
  allowed: number;
  grantsEnded: number;
  /** Standing revocations left for a later run: the breaker paces after a reset. */
  deferred: number;
  failures: number;
  /** AccessManager's own permission at every governed scope, as checked at the start. */
  selfAccessOk: boolean;
}

export interface ReconcileOptions {
  /** After a breaker reset: wait out the paced breaker (up to `budgetMs`) so the run finishes what the admin approved. */
  paced?: boolean;
  /** How long a paced run may wait in total. Default 4 minutes (inside a Functions timeout). */
  budgetMs?: number;
}

/** Assignments of a listed page judged at once: enough to hide the store's latency, few enough for its throughput. */
const RECONCILE_CONCURRENCY = 8;

/** The scopes to list: every top governed scope, and for a management group each governed subscription under it. */
function listingScopes(deps: Pick<EnforcerDeps, 'policies' | 'governed'>): string[] {
  const scopes: string[] = [];
  for (const top of deps.policies.topScopes()) {
    if (isManagementGroupScope(top)) scopes.push(...deps.policies.subscriptionsUnder(top).map((s) => `/subscriptions/${s}`));
    else scopes.push(top);
  }
  scopes.splice(0, scopes.length, ...scopes.filter((s) => isGoverned(deps.governed, s)));
  return [...new Map(scopes.map((s) => [scopeKey(s), s])).values()];
}

/**
 * The reconcile timer, for whatever Event Grid never delivered: checks AccessManager's own
 * permission, finishes interrupted revocations, pages through every live assignment at, above
 * and under the governed scopes and judges each exactly as the event path does (one inherited
 * from above, e.g. from a management group, by the policy of the scope it reaches); then ends the
 * grants whose assignment vanished (the pure rule `decideReconcile`, confirmed with ARM one by one)
 * and judges again any assignment that re-created such a grant's access out of band.
 * Memory holds one page plus a small record per live assignment and the active grants.
 */
export function reconcile(deps: EnforcerDeps, opts: ReconcileOptions = {}): Promise<ReconcileReport> {
  // Background work: its ARM calls leave a reserve of every budget to event enforcement.
  return deps.pacing.background(() => reconcileNow(deps, opts));
}

async function reconcileNow(deps: EnforcerDeps, opts: ReconcileOptions): Promise<ReconcileReport> {
  const startedAt = deps.clock.now();
  const scopes = listingScopes(deps);
  const report: ReconcileReport = { scopes, assignments: 0, revoked: 0, wouldRevoke: 0, exempt: 0, allowed: 0, grantsEnded: 0, deferred: 0, failures: 0, selfAccessOk: true };
  const pacedUntil = opts.paced ? Date.now() + (opts.budgetMs ?? 4 * 60_000) : undefined;
  try {
    report.selfAccessOk = (await checkSelfAccess(deps, { noticedWhile: 'reconciling' })).ok;
  } catch (err) {
    report.failures++;
    console.warn(`reconcile: checking AccessManager's own permission failed: ${err instanceof Error ? err.message : String(err)}`);
  }
  report.failures += (await finishRevocations(deps)).failures;

  const judge = async (live: LiveAssignment | undefined, id: string, inheritedInto?: string): Promise<void> => {
    try {
      const { decision, outcome } = await enforceAssignment(deps, live, id, { via: 'reconcile', ...(inheritedInto ? { inheritedInto } : {}), ...(pacedUntil ? { pacedUntil } : {}) });
      if (outcome === 'deferred') report.deferred++;
      else if (decision.action === 'revoke') report[outcome === 'failed' ? 'failures' : 'revoked']++;
      else if (decision.action === 'wouldRevoke') report.wouldRevoke++;
      else if (decision.action === 'exempt') report.exempt++;
      else if (decision.action === 'allow') report.allowed++;
    } catch (err) {
      report.failures++;
      console.warn(`reconcile: ${id}: ${err instanceof Error ? err.message : String(err)}`);
    }
  };
  const seen = new Map<string, Pick<LiveAssignment, 'id' | 'principalId' | 'roleDefinitionId' | 'scope'>>();
  for (const scope of scopes) {
    for await (const page of deps.roleAssignments.listForScope(scope)) {
      const fresh: LiveAssignment[] = [];
      for (const live of page) {
        // ARM lists what applies at the scope: also assignments above it, which every listing repeats.
        if (seen.has(scopeKey(live.id))) continue;
        seen.set(scopeKey(live.id), { id: live.id, principalId: live.principalId, roleDefinitionId: live.roleDefinitionId, scope: live.scope });
        fresh.push(live);
      }
      report.assignments += fresh.length;
      // A page is judged a few at a time: one store read each hides behind the others (judge never throws).
      await mapLimited(fresh, RECONCILE_CONCURRENCY, (live) => judge(live, live.id, deps.policies.contains(scope, live.scope) ? undefined : scope));
    }
  }
  const grants = [];
  for await (const page of deps.grants.active()) grants.push(...page);
  const vanished = decideReconcile({
    grants,
    live: [...seen.values()],
    listedScopes: scopes,
    listedAt: startedAt,
    now: deps.clock.now(),
    contains: (outer, inner) => deps.policies.contains(outer, inner),
  });
  const actor = { id: deps.appPrincipalId, name: 'AccessManager (reconcile)' };
  for (const { grantId, assignmentId, reason } of vanished.endedExternally) {
    try {
      // Confirm with ARM before ending anything: the listing may be a moment old.
      if (await deps.roleAssignments.get(assignmentId)) continue;
      await endGrant(deps, grantId, 'endedExternally', actor, `${reason} (found by reconcile)`);
      report.grantsEnded++;
    } catch (err) {
      report.failures++;
      console.warn(`reconcile: grant ${grantId}: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  for (const id of vanished.rejudge) await judge(await deps.roleAssignments.get(id), id);
  if (opts.paced && report.deferred === 0 && report.failures === 0) {
    // Everything the reset approved is done: from now on a spent budget trips the breaker again.
    for (const policy of deps.policies.policies) await deps.breakers.endPacing(policy.id).catch(() => undefined);
  }
  return report;
}

/** Every policy's mode and breaker, as stored now (one point read per policy). */
export async function enforcementStatus(deps: Pick<Deps, 'policies' | 'breakers'>): Promise<PolicyEnforcement[]> {
  return Promise.all(
    deps.policies.policies.map(async (policy): Promise<PolicyEnforcement> => {
      const state = await deps.breakers.read(policy.id);
      const tripped = state?.tripped === true;
      return {
        policyId: policy.id,
        scope: policy.scope,
        mode: policy.mode,
        effectiveMode: tripped ? 'audit' : policy.mode,
        breaker: {
          maxRevocations: policy.breaker.maxRevocations,
          window: policy.breaker.window,
          tripped,
          count: state?.count ?? 0,
          ...(state?.trippedAt ? { trippedAt: state.trippedAt } : {}),
          ...(state?.windowStart ? { windowStart: state.windowStart } : {}),
          ...(state?.resetAt ? { resetAt: state.resetAt } : {}),
        },
      };
    }),
  );
}

/**
 * An admin closes a tripped breaker: standing revocations of the policy resume, and the reset is
 * recorded. The caller starts a paced reconcile at once (see the resetEnforcement function).
 */
export async function resetEnforcement(deps: Pick<Deps, 'policies' | 'breakers' | 'audit' | 'clock'>, caller: Caller, policyId: string): Promise<{ policyId: string; reset: boolean; mode: string }> {
  const policy = deps.policies.byId(policyId);
  if (!policy) throw new NotFoundError(`No policy ${policyId}; known policies: ${deps.policies.policies.map((p) => p.id).join(', ')}.`, 'PolicyNotFound');
  const wasTripped = await deps.breakers.reset(policy.id, deps.clock.now(), caller.id);
  if (wasTripped) {
    await deps.audit.append({
      action: 'breaker.reset',
      actor: { id: caller.id, name: caller.name },
      policyId: policy.id,
      mode: policy.mode,
      scope: policy.scope,
      reason: `enforcement of ${policy.id} resumed by an admin; a paced reconcile revokes what the breaker held back`,
    });
  }
  return { policyId: policy.id, reset: wasTripped, mode: policy.mode };
}
