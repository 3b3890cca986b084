/**
 * The background enforcer: reacts to role assignment events and the reconcile timer. Reads the
 * assignment from ARM (the event does not say who was given access), decides with the pure
 * rule in ./decide, then acts: revoke, record "would revoke", record an exemption, or nothing.
 *
 * Per event (measured by bench/enforcement.ts): an approved assignment costs 1 ARM read and 1
 * coverage point read, nothing written; a rogue one 1 ARM read, the coverage read, one
 * conditional write of the breaker (batched under load), the audit record written ahead of the
 * delete (its idempotency marker and the record: 2 creates), and 1 ARM delete; an exempt one the
 * ARM read and the audit record, and nothing at all in the store once this process recorded it.
 */
import type { LiveAssignment } from '../ports/roleAssignments';
import type { Deps } from '../ports/deps';
import type { AuditActor, AuditEntry } from '../domain/audit/record';
import { isWithinScope, scopeDepth, scopeKey } from '../domain/armIds';
import type { Caller } from '../domain/caller';
import { InternalError, NotFoundError, ValidationError } from '../domain/errors';
import { endGrant, notifySafely } from './grants';
import { handleGuardrailEvent } from './guardrails';
import { liveEntries } from '../domain/grants/grant';
import type { PolicyEnforcement } from '../domain/enforcement/status';
import { decodeArmEvent, type ArmEvent, type RoleAssignmentEvent } from '../domain/events/armEvent';
import type { ReceivedEvent } from '../domain/events/envelope';
import { fitForLedger } from '../domain/audit/auditFit';
import { applyBreakerOutcome, decideAssignment, decideDeletedAssignment, decideReconcile, findExemption, goneDecision, needsCoverage, roleLabel, type Decision } from '../domain/enforcement/decide';

type EnforcerDeps = Pick<Deps, 'requests' | 'grants' | 'breakers' | 'policies' | 'roleAssignments' | 'audit' | 'notifier' | 'clock' | 'appPrincipalId' | 'config' | 'guardrails' | 'directory'>;

export interface Trigger {
  via: 'event' | 'reconcile';
  eventId?: string;
  /** Who made the change, from the event's claims (absent for reconcile). */
  caller?: { objectId?: string; upn?: string; appId?: string };
}

export interface EnforcementResult {
  assignmentId: string;
  decision: Decision;
  /** What happened in Azure: the delete's result for a revoke. */
  outcome?: 'deleted' | 'gone';
}

function actorOf(trigger: Trigger): AuditActor {
  const c = trigger.caller;
  const actor: AuditActor = {};
  if (c?.objectId) actor.id = c.objectId;
  if (c?.upn) actor.name = c.upn;
  if (c?.appId) actor.appId = c.appId;
  return Object.keys(actor).length ? actor : { name: 'unknown (found by reconcile)' };
}

/** One decision per assignment instance: ids can be reused after a delete, createdOn tells instances apart. */
function decisionKey(action: string, a: LiveAssignment): string {
  return `${action}:${scopeKey(a.id)}:${a.createdOn ?? ''}`;
}

/** Appends `entry` once per `key`, fitted to the ledger's field limits. */
async function recordOnce(deps: Pick<EnforcerDeps, 'audit'>, entry: AuditEntry, key: string): Promise<void> {
  await deps.audit.append(fitForLedger(entry), { idempotencyKey: key });
}

/** Judges one live assignment and acts on the decision. Idempotent: a repeat records nothing new. */
export async function enforceAssignment(deps: EnforcerDeps, live: LiveAssignment | undefined, assignmentId: string, trigger: Trigger): Promise<EnforcementResult> {
  const now = deps.clock.now();
  if (!live) return { assignmentId, decision: goneDecision() };

  const judged = { assignment: live, policy: deps.policies.governing(live.scope), exemption: findExemption(deps.policies, live), appPrincipalId: deps.appPrincipalId };
  // Our own identity, exemptions and ungoverned scopes need no store read at all.
  const coverage = needsCoverage(judged) ? await deps.grants.readCoverage(live.principalId, live.roleDefinitionId, live.scope) : undefined;
  let decision = decideAssignment({
    ...judged,
    coverage: liveEntries(coverage, now),
    isOwnGrantAssignment: coverage?.assignmentId !== undefined && scopeKey(coverage.assignmentId) === scopeKey(live.id),
    now,
  });

  if (decision.action === 'revoke') {
    const governing = deps.policies.byId(decision.policyId);
    if (!governing) throw new InternalError(`Policy ${decision.policyId} decided but is not loaded.`, 'PolicyMissing');
    const counted = await deps.breakers.count(governing, decisionKey('revoke', live), now);
    if (counted.justTripped) await recordBreakerTrip(deps, governing.id, live, trigger);
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
  switch (decision.action) {
    case 'none':
    case 'allow':
      return { assignmentId: live.id, decision };
    case 'exempt':
      await recordOnce(
        deps,
        { ...base, action: 'assignment.exempt', policyId: decision.policyId, reason: decision.reason, details: { exemption: decision.exemptionKind, via: trigger.via } },
        decisionKey('exempt', live),
      );
      return { assignmentId: live.id, decision };
    case 'wouldRevoke':
      await recordOnce(
        deps,
        { ...base, action: 'assignment.wouldRevoke', policyId: decision.policyId, mode: 'audit', reason: decision.reason, details: { breaker: decision.breaker === true, via: trigger.via } },
        decisionKey('wouldRevoke', live),
      );
      return { assignmentId: live.id, decision };
    case 'revoke': {
      // Write-ahead: the decision is recorded before acting, so a crash after the delete can
      // never lose it; a redelivery finds the record and only repeats the (idempotent) delete.
      await recordOnce(
        deps,
        { ...base, action: 'assignment.revoked', policyId: decision.policyId, mode: 'enforce', reason: decision.reason, details: { via: trigger.via } },
        decisionKey('revoke', live),
      );
      const outcome = await deps.roleAssignments.delete(live.id);
      await notifySafely(deps, {
        kind: 'assignment.revoked',
        recipients: [live.principalId],
        securityChannel: true,
        subject: `Revoked: ${roleLabel(live.roleDefinitionId)} for ${live.principalId}`,
        text: `${decision.reason}. Made by ${base.actor.name ?? base.actor.id ?? 'unknown'}.`,
        policyId: decision.policyId,
        key: decisionKey('revoke', live),
      });
      return { assignmentId: live.id, decision, outcome };
    }
  }
}

async function recordBreakerTrip(deps: EnforcerDeps, policyId: string, live: LiveAssignment, trigger: Trigger): Promise<void> {
  const policy = deps.policies.byId(policyId);
  const tripKey = `breaker.tripped:${policyId}:${decisionKey('revoke', live)}`;
  await recordOnce(
    deps,
    {
      action: 'breaker.tripped',
      actor: { id: deps.appPrincipalId, name: 'AccessManager' },
      policyId,
      mode: 'audit',
      scope: policy?.scope,
      assignmentId: live.id,
      eventId: trigger.eventId,
      reason: `more than ${policy?.breaker.maxRevocations ?? '?'} revocations within ${policy?.breaker.window ?? '?'}: enforcement of ${policyId} switched to audit-only until an admin resets it`,
    },
    tripKey,
  );
  await notifySafely(deps, {
    kind: 'breaker.tripped',
    recipients: [],
    securityChannel: true,
    subject: `Enforcement paused for ${policyId}`,
    text: `The blast-radius breaker of ${policyId} tripped: revocations are recorded as "would revoke" until an admin resets it (POST /api/enforcement/reset).`,
    policyId,
    // One notification per trip (the trip's own key): a minute-based key swallowed a second trip after a reset.
    key: tripKey,
  });
}

/** A delete done outside AccessManager of an assignment that backs active grants ends them. */
async function handleDelete(deps: EnforcerDeps, event: RoleAssignmentEvent): Promise<void> {
  const deletedByApp = event.caller.objectId?.toLowerCase() === deps.appPrincipalId.toLowerCase();
  if (deletedByApp) return;
  const backing = await deps.grants.activeOnAssignment(event.assignmentId, event.assignmentName);
  const decision = decideDeletedAssignment({ assignmentId: event.assignmentId, grantsBackedByIt: backing, deletedByApp, now: deps.clock.now() });
  if (decision.action !== 'endGrants') return;
  const actor = actorOf({ via: 'event', caller: event.caller });
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

async function handleDecoded(deps: EnforcerDeps, event: ArmEvent, log: (line: string) => void): Promise<void> {
  switch (event.kind) {
    case 'roleAssignmentWrite': {
      const live = await deps.roleAssignments.get(event.assignmentId);
      const result = await enforceAssignment(deps, live, event.assignmentId, { via: 'event', eventId: event.eventId, caller: event.caller });
      if (deps.config.VERBOSE_LOGS || result.decision.action === 'revoke') log(`armEvents ${event.eventId}: ${result.decision.action} ${event.assignmentId} (${result.decision.reason})`);
      return;
    }
    case 'roleAssignmentDelete':
      return handleDelete(deps, event);
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
  failures: number;
}

/** The top governed scopes: listing each once covers every governed scope below it. */
function topScopes(scopes: readonly string[]): string[] {
  const sorted = [...scopes].sort((a, b) => scopeDepth(a) - scopeDepth(b));
  const tops: string[] = [];
  for (const s of sorted) if (!tops.some((t) => isWithinScope(s, t))) tops.push(s);
  return tops;
}

/**
 * The reconcile timer, for whatever Event Grid never delivered: pages through every live
 * assignment under the governed scopes and judges each exactly as the event path does; then
 * ends the grants whose assignment vanished (the pure rule `decideReconcile`, confirmed with ARM
 * one by one) and judges again any assignment that re-created such a grant's access out of band.
 * Memory holds one page plus a small record per live assignment and the active grants.
 */
export async function reconcile(deps: EnforcerDeps): Promise<ReconcileReport> {
  const startedAt = deps.clock.now();
  const scopes = topScopes(deps.policies.allGovernedScopes());
  const report: ReconcileReport = { scopes, assignments: 0, revoked: 0, wouldRevoke: 0, exempt: 0, allowed: 0, grantsEnded: 0, failures: 0 };
  const judge = async (live: LiveAssignment | undefined, id: string): Promise<void> => {
    try {
      const { decision } = await enforceAssignment(deps, live, id, { via: 'reconcile' });
      if (decision.action === 'revoke') report.revoked++;
      else if (decision.action === 'wouldRevoke') report.wouldRevoke++;
      else if (decision.action === 'exempt') report.exempt++;
      else if (decision.action === 'allow') report.allowed++;
    } catch (err) {
      report.failures++;
      console.warn(`reconcile: ${id}: ${err instanceof Error ? err.message : String(err)}`);
    }
  };
  const seen: Array<Pick<LiveAssignment, 'id' | 'principalId' | 'roleDefinitionId' | 'scope'>> = [];
  for (const scope of scopes) {
    for await (const page of deps.roleAssignments.listForScope(scope)) {
      for (const live of page) {
        if (!isWithinScope(live.scope, scope)) continue; // ARM also lists assignments above the scope
        seen.push({ id: live.id, principalId: live.principalId, roleDefinitionId: live.roleDefinitionId, scope: live.scope });
        report.assignments++;
        await judge(live, live.id);
      }
    }
  }
  const grants = [];
  for await (const page of deps.grants.active()) grants.push(...page);
  const vanished = decideReconcile({ grants, live: seen, listedScopes: scopes, listedAt: startedAt, now: deps.clock.now() });
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
  return report;
}

/** An admin closes a tripped breaker: enforcement of the policy resumes, and the reset is recorded. */
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
      reason: `enforcement of ${policy.id} resumed by an admin`,
    });
  }
  return { policyId: policy.id, reset: wasTripped, mode: policy.mode };
}
