/**
 * Turning approvals into Azure access and taking it away again: fulfilment of an approved
 * request, renewal, and the end of a grant (expiry, early revoke, or an external delete).
 *
 * Every step is idempotent and ordered so that a crash or an ARM failure anywhere leaves a
 * state the next attempt (the caller's retry, or the expireGrants timer) converges from:
 *   coverage entry -> role assignment (named after the grant) -> grant document -> request marked fulfilled.
 * The coverage entry comes first so the enforcer already knows the assignment is approved
 * when Azure's event about it arrives.
 */
import type { AuditActor, AuditEntry } from '../domain/audit/record';
import { roleAssignmentId, roleDefinitionGuid, sameScope, scopeKey } from '../domain/armIds';
import type { Deps } from '../ports/deps';
import type { RequestRepository } from '../ports/requests';
import { AppError, ConflictError, InternalError, TransientError } from '../domain/errors';
import type { AccessRequest } from '../domain/requests/model';
import { grantWindow, renewalExtension, requestDurationMs } from '../domain/requests/rules';
import { liveEntries, withEntry, withoutEntry, type Grant, type GrantEndReason } from '../domain/grants/grant';

type GrantDeps = Pick<Deps, 'requests' | 'grants' | 'roleAssignments' | 'audit' | 'notifier' | 'clock' | 'appPrincipalId'>;

const APP_ACTOR = (deps: Pick<Deps, 'appPrincipalId'>): AuditActor => ({ id: deps.appPrincipalId, name: 'AccessManager' });

function roleGuidOf(request: Pick<AccessRequest, 'roleDefinitionId'>): string {
  const guid = roleDefinitionGuid(request.roleDefinitionId);
  if (!guid) throw new InternalError(`Stored role definition id ${request.roleDefinitionId} is not a role definition id.`, 'BadRoleDefinitionId');
  return guid;
}

/** The audit fields that name what a grant is about. */
export function grantTarget(grant: Pick<Grant, 'id' | 'principalId' | 'scope' | 'roleDefinitionId' | 'assignmentId' | 'policyId'>) {
  return { principalId: grant.principalId, scope: grant.scope, roleDefinitionId: grant.roleDefinitionId, assignmentId: grant.assignmentId, grantId: grant.id, policyId: grant.policyId };
}

/** The audit fields that name what a request is about. */
export function requestTarget(request: Pick<AccessRequest, 'id' | 'principalId' | 'scope' | 'roleDefinitionId' | 'policyId'>) {
  // A guardrail exception request names no role.
  return { principalId: request.principalId, scope: request.scope, roleDefinitionId: request.roleDefinitionId || undefined, requestId: request.id, policyId: request.policyId };
}

/** Records an audit entry at most once per key, so a retried step never records twice. */
export async function auditOnce(deps: Pick<Deps, 'audit'>, key: string, entry: AuditEntry): Promise<void> {
  await deps.audit.append(entry, { idempotencyKey: key });
}

/**
 * Makes an approved request's access real. Returns the grant. Safe to call any number of
 * times for the same request; a permanent ARM refusal marks the request `failed`.
 */
export async function fulfilRequest(deps: GrantDeps, request: AccessRequest): Promise<Grant | undefined> {
  if (request.status !== 'approved' || !request.grantId || !request.resolvedAt) return undefined;
  if (request.renewsGrantId) return extendGrant(deps, request);

  const grants = deps.grants;
  const requests = deps.requests;
  const grantId = request.grantId;
  const roleGuid = roleGuidOf(request);
  const key = { principalId: request.principalId, roleDefinitionGuid: roleGuid, scope: request.scope };
  // The clock starts at grant time: the moment the last approval landed, fixed in the request so retries agree.
  const window = grantWindow(request.resolvedAt, requestDurationMs(request));

  const existing = await grants.get(grantId);
  if (existing) {
    await markFulfilled(requests, request.id);
    return existing;
  }

  // Written with the assignment we expect to create (or the one the triple already has), so the
  // usual path needs no second coverage write.
  const entry = { grantId, expiresAt: window.expiresAt };
  const expectedId = roleAssignmentId(request.scope, grantId);
  const written = await grants.updateCoverage(key, (c) => withEntry(c, entry, c.assignmentId && c.entries.some((e) => e.grantId !== grantId) ? c.assignmentId : expectedId));

  let assignmentId = expectedId;
  try {
    const live = await deps.roleAssignments.create({
      scope: request.scope,
      name: grantId,
      roleDefinitionId: request.roleDefinitionId,
      principalId: request.principalId,
      principalType: 'User',
      description: `AccessManager grant ${grantId} for request ${request.id}`,
    });
    assignmentId = live.id;
  } catch (err) {
    if (err instanceof ConflictError) {
      // Azure allows one assignment per (principal, role, scope). Another grant of ours holds it,
      // or someone made it out of band; either way this approval now justifies it, and it goes
      // when the last grant covering it ends.
      assignmentId = await findExistingAssignment(deps, request, roleGuid);
    } else if (err instanceof AppError && !err.transient) {
      await failRequest(deps, request, `Azure refused the role assignment: ${err.message}`);
      await grants.updateCoverage(key, (c) => withoutEntry(c, grantId));
      return undefined;
    } else {
      throw err;
    }
  }
  if (!written.assignmentId || scopeKey(written.assignmentId) !== scopeKey(assignmentId)) {
    await grants.updateCoverage(key, (c) => withEntry(c, entry, assignmentId));
  }

  const approvers = request.approvals.filter((a) => a.decision === 'approve').map((a) => ({ id: a.approverId, name: a.approverName, at: a.at }));
  const { grant } = await grants.createOrGet({
    id: grantId,
    type: 'grant',
    requestId: request.id,
    requestIds: [request.id],
    principalId: request.principalId.toLowerCase(),
    roleDefinitionId: request.roleDefinitionId,
    roleName: request.roleName,
    scope: request.scope,
    scopeKey: key.scope.toLowerCase(),
    policyId: request.policyId,
    assignmentId,
    startsAt: window.startsAt,
    expiresAt: window.expiresAt,
    status: 'active',
    requester: request.requester,
    approvers,
  });
  await auditOnce(deps, `grant.created:${grantId}`, {
    action: 'grant.created',
    actor: APP_ACTOR(deps),
    ...grantTarget(grant),
    requestId: request.id,
    reason: `approved by ${approvers.map((a) => a.name).join(', ')}; expires ${grant.expiresAt}`,
  });
  await markFulfilled(requests, request.id);
  await notifySafely(deps, {
    kind: 'grant.created',
    recipients: [request.requester.id, request.principalId],
    subject: `Access granted: ${request.roleName}`,
    text: `${request.roleName} on ${request.scope} is yours until ${grant.expiresAt}.`,
    requestId: request.id,
    grantId,
    key: `grant.created:${grantId}`,
  });
  return grant;
}

async function findExistingAssignment(deps: GrantDeps, request: AccessRequest, roleGuid: string): Promise<string> {
  for await (const page of deps.roleAssignments.listForScope(request.scope, { principalId: request.principalId, atScopeOnly: true })) {
    const match = page.find((a) => sameScope(a.scope, request.scope) && roleDefinitionGuid(a.roleDefinitionId) === roleGuid && a.principalId.toLowerCase() === request.principalId.toLowerCase());
    if (match) return match.id;
  }
  // ARM said it exists but does not list it yet (replication): try again later.
  throw new TransientError(`Azure reports an existing ${request.roleName} assignment for ${request.principalId} at ${request.scope} but does not list it yet.`, 'AssignmentNotListed');
}

async function markFulfilled(requests: RequestRepository, requestId: string): Promise<void> {
  await requests.update(requestId, (r) => (r.fulfilled ? r : { ...r, fulfilled: true }));
}

async function failRequest(deps: GrantDeps, request: AccessRequest, reason: string): Promise<void> {
  const requests = deps.requests;
  await requests.update(request.id, (r) => (r.status === 'approved' && !r.fulfilled ? { ...r, status: 'failed', failureReason: reason, fulfilled: true } : r));
  await auditOnce(deps, `request.failed:${request.id}`, {
    action: 'request.failed',
    actor: APP_ACTOR(deps),
    ...requestTarget(request),
    reason,
  });
  await notifySafely(deps, {
    kind: 'request.denied',
    recipients: [request.requester.id],
    subject: `Access could not be granted: ${request.roleName}`,
    text: reason,
    requestId: request.id,
    key: `request.failed:${request.id}`,
  });
}

/** A renewal extends the grant it names instead of stacking a second assignment. */
async function extendGrant(deps: GrantDeps, request: AccessRequest): Promise<Grant | undefined> {
  const grants = deps.grants;
  const requests = deps.requests;
  const grantId = request.renewsGrantId!;
  const grant = await grants.mustGet(grantId);
  if (grant.requestIds.includes(request.id)) {
    await markFulfilled(requests, request.id);
    return grant;
  }
  // Measured from the approval, fixed in the request, so a retry computes the same expiry.
  const extension = renewalExtension(grant, request, new Date(request.resolvedAt!));
  if (!extension.ok) {
    await failRequest(deps, request, extension.error.message);
    return undefined;
  }
  const roleGuid = roleGuidOf(grant);
  await grants.updateCoverage({ principalId: grant.principalId, roleDefinitionGuid: roleGuid, scope: grant.scope }, (c) =>
    withEntry(c, { grantId, expiresAt: extension.expiresAt }),
  );
  const { grant: extended } = await grants.update(grantId, (g) =>
    g.requestIds.includes(request.id) ? g : { ...g, expiresAt: extension.expiresAt, requestIds: [...g.requestIds, request.id], warnedAt: undefined },
  );
  await auditOnce(deps, `grant.renewed:${grantId}:${request.id}`, {
    action: 'grant.renewed',
    actor: APP_ACTOR(deps),
    ...grantTarget(grant),
    requestId: request.id,
    reason: `renewed until ${extension.expiresAt}${extension.capped ? ' (capped at the policy maximum)' : ''}`,
  });
  await markFulfilled(requests, request.id);
  await notifySafely(deps, {
    kind: 'grant.renewed',
    recipients: [request.requester.id, grant.principalId],
    subject: `Access renewed: ${grant.roleName}`,
    text: `${grant.roleName} on ${grant.scope} now lasts until ${extended.expiresAt}.`,
    requestId: request.id,
    grantId,
    key: `grant.renewed:${grantId}:${request.id}`,
  });
  return extended;
}

const END_ACTIONS = { expired: 'grant.expired', revoked: 'grant.revoked', endedExternally: 'grant.endedExternally' } as const;

/**
 * Ends a grant: marks it, drops it from coverage, and deletes the role assignment unless
 * another live grant still justifies it (two grants never cause an early revoke). An
 * external delete only records the end: the assignment is already gone.
 */
export async function endGrant(
  deps: GrantDeps,
  grantId: string,
  how: GrantEndReason,
  actor: AuditActor,
  reason: string,
): Promise<Grant> {
  const grants = deps.grants;
  const now = deps.clock.now();
  const { grant, etag } = await grants.update(grantId, (g) =>
    g.status !== 'active'
      ? g
      : {
          ...g,
          status: how === 'expired' ? 'expired' : 'revoked',
          endReason: how,
          endedAt: now.toISOString(),
          endedBy: { ...(actor.id ? { id: actor.id } : {}), ...(actor.name ? { name: actor.name } : {}) },
          pendingRemoval: how !== 'endedExternally',
        },
  );
  if (grant.endReason === undefined) return grant;

  const coverage = await grants.updateCoverage({ principalId: grant.principalId, roleDefinitionGuid: roleGuidOf(grant), scope: grant.scope }, (c) => withoutEntry(c, grant.id));
  if (grant.pendingRemoval) {
    if (liveEntries(coverage, now).length === 0) await deps.roleAssignments.delete(grant.assignmentId);
    await grants.update(grant.id, (g) => (g.pendingRemoval ? { ...g, pendingRemoval: false } : g), etag ? { grant, etag } : undefined);
  }

  await auditOnce(deps, `grant.ended:${grant.id}`, {
    action: END_ACTIONS[grant.endReason],
    actor,
    ...grantTarget(grant),
    requestId: grant.requestId,
    reason,
  });
  await notifySafely(deps, {
    kind: END_ACTIONS[grant.endReason],
    recipients: [grant.principalId],
    subject: `Access ended: ${grant.roleName}`,
    text: `${grant.roleName} on ${grant.scope} ended (${grant.endReason}): ${reason}`,
    grantId: grant.id,
    requestId: grant.requestId,
    key: `grant.ended:${grant.id}`,
  });
  return grant;
}

/** Notifications are best effort: a Teams outage must not undo or block a decision already made. */
export async function notifySafely(deps: Pick<Deps, 'notifier'>, n: Parameters<Deps['notifier']['notify']>[0]): Promise<void> {
  try {
    await deps.notifier.notify(n);
  } catch (err) {
    console.warn(`Notification ${n.kind} (${n.key}) failed: ${err instanceof Error ? err.message : String(err)}`);
  }
}
