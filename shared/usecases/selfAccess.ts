/**
 * Enforcement watching itself. AccessManager can only enforce while its identity may read, create
 * and delete role assignments at every governed scope; an Owner who removes that permission must
 * not switch enforcement off silently (finding 2 of issue 10). So:
 * - `checkSelfAccess` asks ARM what the identity may actually do at every governed scope (the
 *   permissions API, not "a call that did not fail") and records the change of state: the loss as
 *   `enforcement.selfAccessLost` (alerted as critical), the return as `enforcement.selfAccessRestored`;
 * - `selfAssignmentTouched` records a delete or change of one of AccessManager's own assignments
 *   by someone else at once, naming who did it (from the event), whatever the check then finds;
 *   the check records a deletion whose event never came, without a name, after a grace period;
 * - use cases that meet an ARM 403 report it (`reportPermissionDenied`), which runs the check.
 * Health, reconcile, start-up and the delete events run the check; health reuses its answer briefly.
 */
import type { Deps } from '../ports/deps';
import type { AuditActor } from '../domain/audit/record';
import { missingActions } from '../domain/permissions';
import { scopeKey } from '../domain/armIds';
import type { MissingPermission, SelfAccessState } from '../ports/enforcementState';
import { notifySafely } from './notify';
import { PermissionDeniedError } from '../domain/errors';

export type SelfAccessDeps = Pick<Deps, 'selfAccess' | 'roleAssignments' | 'policies' | 'audit' | 'notifier' | 'clock' | 'appPrincipalId'>;

export interface SelfAccessReport {
  ok: boolean;
  /** Actions missing per governed scope (empty when ok). */
  missing: MissingPermission[];
  /** When the loss began, while lost. */
  lostSince?: string;
  checkedAt: string;
}

/** How long health reuses a check's answer (health is anonymous: it must not turn into ARM traffic). */
export const SELF_ACCESS_CACHE_MS = 15_000;
/** How long a vanished own assignment waits for its delete event (which names who did it) before the check records it. */
export const DELETE_EVENT_GRACE_MS = 2 * 60_000;

const cache = new WeakMap<object, { report: SelfAccessReport; at: number }>();

const APP_ACTOR = (deps: Pick<Deps, 'appPrincipalId'>): AuditActor => ({ id: deps.appPrincipalId, name: 'AccessManager' });

/** The incident key of the deletion of one of AccessManager's own assignments (the same from the event and from the check). */
function deletionKey(assignmentId: string): string {
  return `enforcement.selfAccessLost:deleted:${scopeKey(assignmentId)}`;
}

/** What the identity lacks at each governed scope, per ARM's permissions API. */
async function probe(deps: SelfAccessDeps): Promise<MissingPermission[]> {
  const missing: MissingPermission[] = [];
  for (const scope of deps.policies.allGovernedScopes()) {
    const actions = missingActions(await deps.roleAssignments.permissionsAt(scope));
    if (actions.length > 0) missing.push({ scope, actions });
  }
  return missing;
}

/**
 * Ids of AccessManager's own assignments that apply at the governed scopes (at them, above or
 * below); undefined when it may no longer even read them (what it knew stays as it was).
 */
async function ownAssignments(deps: SelfAccessDeps): Promise<string[] | undefined> {
  const ids = new Set<string>();
  try {
    for (const scope of deps.policies.topScopes()) {
      for await (const page of deps.roleAssignments.listForScope(scope, { principalId: deps.appPrincipalId })) for (const a of page) ids.add(scopeKey(a.id));
    }
  } catch (err) {
    if (err instanceof PermissionDeniedError) return undefined;
    throw err;
  }
  return [...ids].sort();
}

function describe(missing: MissingPermission[]): string {
  return missing.map((m) => `${m.actions.join(', ')} at ${m.scope}`).join('; ');
}

/** Known assignments after a listing: listed ones, and vanished ones still inside the grace period (those past it are returned apart). */
function reconcileKnown(current: SelfAccessState | undefined, listed: string[], now: Date): { assignments: SelfAccessState['assignments']; overdue: string[] } {
  const assignments: SelfAccessState['assignments'] = listed.map((id) => ({ id }));
  const overdue: string[] = [];
  for (const known of current?.assignments ?? []) {
    if (listed.includes(known.id)) continue;
    const goneSince = known.goneSince ?? now.toISOString();
    if (now.getTime() - Date.parse(goneSince) >= DELETE_EVENT_GRACE_MS) overdue.push(known.id);
    else assignments.push({ id: known.id, goneSince });
  }
  return { assignments, overdue };
}

/**
 * Checks the permission AccessManager holds at every governed scope and records a change of state.
 * `incident`: the record an event already wrote for this loss (then no second one is written).
 */
export async function checkSelfAccess(deps: SelfAccessDeps, opts: { maxAgeMs?: number; noticedWhile?: string; incident?: string } = {}): Promise<SelfAccessReport> {
  const cached = cache.get(deps.selfAccess);
  if (cached && opts.maxAgeMs !== undefined && deps.clock.now().getTime() - cached.at < opts.maxAgeMs) return cached.report;

  const missing = await probe(deps);
  const listed = await ownAssignments(deps);
  const nowDate = deps.clock.now();
  const now = nowDate.toISOString();
  let transition: 'lost' | 'restored' | undefined;
  let overdue: string[] = [];
  const { state } = await deps.selfAccess.update((current) => {
    transition = undefined;
    const known = listed ? reconcileKnown(current, listed, nowDate) : { assignments: current?.assignments ?? [], overdue: [] };
    overdue = known.overdue;
    const incident = opts.incident ?? (overdue[0] ? deletionKey(overdue[0]) : `enforcement.selfAccessLost:${now}`);
    let next: SelfAccessState;
    if (missing.length > 0) {
      if (current?.status === 'lost') next = { ...current, missing, assignments: known.assignments };
      else {
        transition = 'lost';
        next = { status: 'lost', since: now, incident, missing, assignments: known.assignments };
      }
    } else if (current?.status === 'lost') {
      transition = 'restored';
      next = { status: 'ok', since: now, assignments: known.assignments };
    } else {
      next = { status: 'ok', since: current?.since ?? now, assignments: known.assignments };
    }
    return current && JSON.stringify(current) === JSON.stringify(next) ? current : next;
  });

  for (const id of overdue) {
    await recordTouch(deps, { kind: 'deleted', assignmentId: id, actor: { name: "unknown (no delete event arrived; found by AccessManager's own check)" } }, deletionKey(id));
  }
  if (transition === 'lost' && !opts.incident && overdue.length === 0) {
    const reason = `AccessManager lacks ${describe(missing)}: it cannot grant or revoke there${opts.noticedWhile ? ` (noticed while ${opts.noticedWhile})` : ''}`;
    await deps.audit.append({ action: 'enforcement.selfAccessLost', actor: APP_ACTOR(deps), reason, details: { missing: missing.map((m) => ({ scope: m.scope, actions: m.actions })) } }, { idempotencyKey: state!.incident! });
    await alertCritical(deps, 'AccessManager lost its permission', `${reason}. Enforcement is degraded until its role assignment is restored (see /api/health).`, state!.incident!);
  }
  if (transition === 'restored') {
    await deps.audit.append({ action: 'enforcement.selfAccessRestored', actor: APP_ACTOR(deps), reason: 'AccessManager holds its permission at every governed scope again' }, { idempotencyKey: `enforcement.selfAccessRestored:${now}` });
    await notifySafely(deps, { kind: 'enforcement.selfAccessRestored', recipients: [], securityChannel: true, subject: 'AccessManager has its permission again', text: 'Enforcement works again at every governed scope; waiting approvals are being fulfilled.', key: `enforcement.selfAccessRestored:${now}` });
  }
  const report: SelfAccessReport = { ok: missing.length === 0, missing, ...(state?.status === 'lost' ? { lostSince: state.since } : {}), checkedAt: now };
  cache.set(deps.selfAccess, { report, at: deps.clock.now().getTime() });
  return report;
}

/** Whether `assignmentId` is (or was, as last seen) one of AccessManager's own assignments. */
export async function isOwnAssignment(deps: Pick<Deps, 'selfAccess'>, assignmentId: string): Promise<boolean> {
  const state = await deps.selfAccess.read();
  const key = scopeKey(assignmentId);
  return state?.assignments.some((a) => a.id === key) ?? false;
}

interface Touch {
  kind: 'deleted' | 'changed';
  assignmentId: string;
  actor: AuditActor;
  eventId?: string;
  detail?: string;
}

async function recordTouch(deps: SelfAccessDeps, change: Touch, key: string): Promise<void> {
  const who = change.actor.name ?? change.actor.id ?? 'someone';
  const reason = `${who} ${change.kind} AccessManager's own role assignment ${change.assignmentId}${change.detail ? ` (${change.detail})` : ''}`;
  await deps.audit.append({ action: 'enforcement.selfAccessLost', actor: change.actor, assignmentId: change.assignmentId, eventId: change.eventId, reason, details: { change: change.kind } }, { idempotencyKey: key });
  await alertCritical(deps, `AccessManager's own role assignment was ${change.kind}`, `${reason}. Check /api/health and restore it; until then enforcement may be blind.`, key);
}

/**
 * Someone else deleted or changed one of AccessManager's own role assignments (from an event).
 * Recorded at once, naming them, and alerted as critical; then the permission check decides
 * whether enforcement is degraded (it may still hold its permission through another assignment).
 * `version` tells changes of one assignment apart (ARM's updatedOn).
 */
export async function selfAssignmentTouched(deps: SelfAccessDeps, change: Touch & { version?: string }): Promise<void> {
  const key = change.kind === 'deleted' ? deletionKey(change.assignmentId) : `enforcement.selfAccessLost:changed:${scopeKey(change.assignmentId)}:${change.version ?? change.eventId ?? ''}`;
  await recordTouch(deps, change, key);
  if (change.kind === 'deleted') {
    const id = scopeKey(change.assignmentId);
    await deps.selfAccess.update((current) => (current ? { ...current, assignments: current.assignments.filter((a) => a.id !== id) } : current));
  }
  await checkSelfAccess(deps, { incident: key, noticedWhile: `${change.actor.name ?? change.actor.id ?? 'someone'} ${change.kind} its role assignment` });
}

/** A use case met ARM's 403: check (and record) what AccessManager can still do. Best effort: the caller's own error stands. */
export async function reportPermissionDenied(deps: Partial<SelfAccessDeps> & Pick<Deps, 'roleAssignments' | 'audit' | 'clock' | 'appPrincipalId'>, err: Error, doing: string): Promise<void> {
  if (!deps.selfAccess || !deps.policies || !deps.notifier) return;
  try {
    // Reused for a few seconds: a reconcile meeting many refusals asks ARM once, not once per refusal.
    await checkSelfAccess(deps as SelfAccessDeps, { noticedWhile: doing, maxAgeMs: SELF_ACCESS_CACHE_MS });
  } catch (checkErr) {
    console.warn(`AccessManager was refused by Azure while ${doing} (${err.message}); checking its permission failed too: ${checkErr instanceof Error ? checkErr.message : String(checkErr)}`);
  }
}

async function alertCritical(deps: Pick<Deps, 'notifier'>, subject: string, text: string, key: string): Promise<void> {
  console.error(`SECURITY (critical): ${subject}: ${text}`);
  await notifySafely(deps, { kind: 'enforcement.selfAccessLost', recipients: [], securityChannel: true, severity: 'critical', subject, text, key });
}
