/**
 * Turning approvals into Azure access and taking it away again: fulfilment of an approved
 * request, renewal, and the end of a grant (expiry, early revoke, or an external delete).
 *
 * Every step is idempotent and ordered so that a crash or an ARM failure anywhere leaves a
 * state the next attempt (the caller's retry, or the expireGrants timer) converges from:
 *   coverage entry -> role assignment (named after the grant) -> grant document -> request marked fulfilled.
 * The coverage entry comes first so the enforcer already knows the assignment is approved
 * when Azure's event about it arrives. Every change of a grant or request carries its audit
 * entry in the same write (domain/audit/outbox), so no change is left without its record.
 */
import type { AuditActor } from '../domain/audit/record';
import { queueAudit, readyEntries, withoutAudit } from '../domain/audit/outbox';
import { roleAssignmentId, roleDefinitionGuid, sameScope, scopeKey } from '../domain/armIds';
import type { Deps } from '../ports/deps';
import { AppError, ConflictError, InternalError, PermissionDeniedError, TransientError, ValidationError } from '../domain/errors';
import type { AccessRequest } from '../domain/requests/model';
import { grantWindow, renewalExtension, requestDurationMs } from '../domain/requests/rules';
import { coverageAfterEnd, otherLiveEntries, withEntry, withoutEntry, withoutExpiredEntries, type Grant, type GrantEndReason } from '../domain/grants/grant';
import { flushGrantAudit, flushRequestAudit } from './outbox';
import { reportPermissionDenied } from './selfAccess';
import { notifySafely } from './notify';

export { notifySafely };

type GrantDeps = Pick<Deps, 'requests' | 'grants' | 'roleAssignments' | 'audit' | 'notifier' | 'clock' | 'appPrincipalId' | 'directory' | 'selfAccess' | 'policies'>;

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

/** The principal's type for ARM: recorded on the request, else asked of the directory (older requests). */
async function principalTypeOf(deps: Pick<Deps, 'directory'>, request: AccessRequest): Promise<'User' | 'Group' | 'ServicePrincipal'> {
  if (request.principalType) return request.principalType;
  const found = await deps.directory.principalType(request.principalId);
  if (!found) throw new ValidationError(`Principal ${request.principalId} is not a user, group or service principal of the directory.`, 'PrincipalNotFound');
  return found;
}

/**
 * Makes an approved request's access real. Returns the grant, or undefined when it failed or
 * waits for AccessManager's permission to return. Safe to call any number of times for the same
 * request; a permanent ARM refusal marks the request `failed`.
 */
export async function fulfilRequest(deps: GrantDeps, request: AccessRequest): Promise<Grant | undefined> {
  if (request.status !== 'approved' || !request.grantId || !request.resolvedAt) return undefined;
  if (request.renewsGrantId) return extendGrant(deps, request);

  const grants = deps.grants;
  const requests = deps.requests;
  const grantId = request.grantId;

  const existing = await grants.get(grantId);
  if (existing) {
    // A retry after a crash: the grant is made; finish its record and the request.
    await flushGrantAudit(deps, existing);
    await markFulfilled(deps, request.id);
    return existing;
  }

  // After a wait for permission the clock starts now, fixed in the request first so retries agree.
  let current = request;
  if (current.waitingForPermission) {
    const now = deps.clock.now().toISOString();
    current = (await requests.update(current.id, (r) => (r.waitingForPermission ? { ...withoutWaiting(r), grantFrom: now } : r))).request;
    if (current.status !== 'approved' || current.fulfilled) return undefined;
  }

  const roleGuid = roleGuidOf(current);
  const key = { principalId: current.principalId, roleDefinitionGuid: roleGuid, scope: current.scope };
  // The clock starts at grant time: the last approval (or the end of a wait for permission), fixed in the request.
  const window = grantWindow(current.grantFrom ?? current.resolvedAt!, requestDurationMs(current));
  const principalType = await principalTypeOf(deps, current);

  // Written with the assignment we expect to create (or the one the triple already has), so the
  // usual path needs no second coverage write.
  const entry = { grantId, expiresAt: window.expiresAt };
  const expectedId = roleAssignmentId(current.scope, grantId);
  // Entries of expired grants count as absent already; this write prunes them (expiry leaves them).
  const written = await grants.updateCoverage(key, (c) => {
    const live = withoutExpiredEntries(c, deps.clock.now());
    return withEntry(live, entry, live.assignmentId && otherLiveEntries(live, grantId, deps.clock.now()).length > 0 ? live.assignmentId : expectedId);
  });

  let assignmentId = expectedId;
  try {
    const live = await deps.roleAssignments.create({
      scope: current.scope,
      name: grantId,
      roleDefinitionId: current.roleDefinitionId,
      principalId: current.principalId,
      principalType,
      description: `AccessManager grant ${grantId} for request ${current.id}`,
    });
    assignmentId = live.id;
  } catch (err) {
    if (err instanceof ConflictError) {
      // Azure allows one assignment per (principal, role, scope). Another grant of ours holds it,
      // or someone made it out of band; either way this approval now justifies it, and it goes
      // when the last grant covering it ends.
      assignmentId = await findExistingAssignment(deps, current, roleGuid);
    } else if (err instanceof PermissionDeniedError) {
      // Our own access was taken away: the approval stands and waits, it is not the requester's fault.
      await requests.update(current.id, (r) => (r.status === 'approved' && !r.fulfilled && !r.waitingForPermission ? { ...withoutGrantFrom(r), waitingForPermission: true } : r));
      await reportPermissionDenied(deps, err, `creating the role assignment of request ${current.id}`);
      throw new TransientError(`Fulfilment of request ${current.id} waits until AccessManager's permission at ${current.scope} returns: ${err.message}`, 'WaitingForPermission');
    } else if (err instanceof AppError && !err.transient) {
      await failRequest(deps, current, `Azure refused the role assignment: ${err.message}`);
      await grants.updateCoverage(key, (c) => withoutEntry(c, grantId));
      return undefined;
    } else {
      throw err;
    }
  }
  if (!written.assignmentId || scopeKey(written.assignmentId) !== scopeKey(assignmentId) || written.entries.find((e) => e.grantId === grantId)?.expiresAt !== window.expiresAt) {
    await grants.updateCoverage(key, (c) => withEntry(c, entry, assignmentId));
  }

  const approvers = current.approvals.filter((a) => a.decision === 'approve').map((a) => ({ id: a.approverId, name: a.approverName, at: a.at }));
  const newGrant: Grant = {
    id: grantId,
    type: 'grant',
    requestId: current.id,
    requestIds: [current.id],
    principalId: current.principalId.toLowerCase(),
    principalType,
    roleDefinitionId: current.roleDefinitionId,
    roleName: current.roleName,
    scope: current.scope,
    scopeKey: key.scope.toLowerCase(),
    policyId: current.policyId,
    assignmentId,
    startsAt: window.startsAt,
    expiresAt: window.expiresAt,
    status: 'active',
    requester: current.requester,
    approvers,
  };
  const created = await grants.createOrGet(
    queueAudit(newGrant, `grant.created:${grantId}`, {
      action: 'grant.created',
      actor: APP_ACTOR(deps),
      ...grantTarget(newGrant),
      requestId: current.id,
      reason: `approved by ${approvers.map((a) => a.name).join(', ')}; expires ${newGrant.expiresAt}`,
      details: { principalType },
    }, deps.clock.now()),
  );
  const grant = await flushGrantAudit(deps, created.grant, created.created ? created.etag : undefined);
  await markFulfilled(deps, current.id);
  await notifySafely(deps, {
    kind: 'grant.created',
    recipients: [current.requester.id, ...(principalType === 'User' ? [current.principalId] : [])],
    subject: `Access granted: ${current.roleName}`,
    text: `${current.roleName} on ${current.scope} is ${principalType === 'User' ? 'yours' : `granted to ${principalType.toLowerCase()} ${current.principalId}`} until ${grant.expiresAt}.`,
    requestId: current.id,
    grantId,
    key: `grant.created:${grantId}`,
  });
  return grant;
}

function withoutWaiting(r: AccessRequest): AccessRequest {
  const { waitingForPermission: _w, ...rest } = r;
  return rest;
}

function withoutGrantFrom(r: AccessRequest): AccessRequest {
  const { grantFrom: _g, ...rest } = r;
  return rest;
}

async function findExistingAssignment(deps: GrantDeps, request: AccessRequest, roleGuid: string): Promise<string> {
  for await (const page of deps.roleAssignments.listForScope(request.scope, { principalId: request.principalId, atScopeOnly: true })) {
    const match = page.find((a) => sameScope(a.scope, request.scope) && roleDefinitionGuid(a.roleDefinitionId) === roleGuid && a.principalId.toLowerCase() === request.principalId.toLowerCase());
    if (match) return match.id;
  }
  // ARM said it exists but does not list it yet (replication): try again later.
  throw new TransientError(`Azure reports an existing ${request.roleName} assignment for ${request.principalId} at ${request.scope} but does not list it yet.`, 'AssignmentNotListed');
}

async function markFulfilled(deps: Pick<Deps, 'requests'>, requestId: string): Promise<void> {
  await deps.requests.update(requestId, (r) => (r.fulfilled ? r : { ...r, fulfilled: true }));
}

async function failRequest(deps: GrantDeps, request: AccessRequest, reason: string): Promise<void> {
  const now = deps.clock.now();
  const { request: failed, etag } = await deps.requests.update(request.id, (r) =>
    r.status === 'approved' && !r.fulfilled
      ? queueAudit<AccessRequest>({ ...withoutWaiting(r), status: 'failed', failureReason: reason, fulfilled: true }, `request.failed:${r.id}`, { action: 'request.failed', actor: APP_ACTOR(deps), ...requestTarget(r), reason }, now)
      : r,
  );
  await flushRequestAudit(deps, failed, etag, new Set([`request.failed:${request.id}`]));
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
  const grantId = request.renewsGrantId!;
  const grant = await grants.mustGet(grantId);
  if (grant.requestIds.includes(request.id)) {
    await flushGrantAudit(deps, grant);
    await markFulfilled(deps, request.id);
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
  const now = deps.clock.now();
  const updated = await grants.update(grantId, (g) =>
    g.requestIds.includes(request.id)
      ? g
      : queueAudit(
          { ...g, expiresAt: extension.expiresAt, requestIds: [...g.requestIds, request.id], warnedAt: undefined },
          `grant.renewed:${grantId}:${request.id}`,
          { action: 'grant.renewed', actor: APP_ACTOR(deps), ...grantTarget(g), requestId: request.id, reason: `renewed until ${extension.expiresAt}${extension.capped ? ' (capped at the policy maximum)' : ''}` },
          now,
        ),
  );
  const extended = await flushGrantAudit(deps, updated.grant, updated.etag);
  await markFulfilled(deps, request.id);
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

/** Every end of a grant (expiry, revoke, external delete) shares one key: one end record, one notice. */
const endKey = (grantId: string) => `grant.ended:${grantId}`;

/** The grant as ended `how` by `actor` at `now`, removal still pending unless the assignment is known gone. */
function asEnded(g: Grant, how: GrantEndReason, actor: AuditActor, now: Date, pendingRemoval: boolean): Grant {
  return {
    ...g,
    status: how === 'expired' ? 'expired' : 'revoked',
    endReason: how,
    endedAt: now.toISOString(),
    endedBy: { ...(actor.id ? { id: actor.id } : {}), ...(actor.name ? { name: actor.name } : {}) },
    pendingRemoval,
  };
}

function endRecord(g: Grant, how: GrantEndReason, actor: AuditActor, reason: string) {
  return { action: END_ACTIONS[how], actor, ...grantTarget(g), requestId: g.requestId, reason };
}

/** Tells the holder their access ended; the caller notes it on the grant (`endNoticeSentAt`). */
function noticeOfEnd(deps: GrantDeps, grant: Grant, how: GrantEndReason, reason: string): Promise<void> {
  return notifySafely(deps, {
    kind: END_ACTIONS[how],
    recipients: [grant.principalId],
    subject: `Access ended: ${grant.roleName}`,
    text: `${grant.roleName} on ${grant.scope} ended (${how}): ${reason}`,
    grantId: grant.id,
    requestId: grant.requestId,
    key: endKey(grant.id),
    deduplicatedByCaller: true,
  });
}

/** Marks an active grant ended, its end record queued in the same write until the removal is done; any other grant is left as it is. */
function markEnded(deps: GrantDeps, grantId: string, how: GrantEndReason, actor: AuditActor, reason: string, now: Date, known?: { grant: Grant; etag: string }) {
  return deps.grants.update(
    grantId,
    (g) => (g.status !== 'active' ? g : queueAudit(asEnded(g, how, actor, now, how !== 'endedExternally'), endKey(g.id), endRecord(g, how, actor, reason), now, { afterRemoval: true })),
    known,
  );
}

/**
 * Ends a grant: marks it (with its end record queued in the same write), drops a still-live
 * coverage entry (an expired one counts as absent already and stays), and deletes the role
 * assignment unless another live grant still justifies it (two grants never cause an early
 * revoke). The record is appended once the assignment is really gone, then the holder is told,
 * then one write finishes. An external delete only records the end: the assignment is already
 * gone. Safe to repeat: a second call finishes whatever the first left undone; the notice goes
 * once, or twice if a crash (or a concurrent end on another instance) comes between it and that write.
 */
export async function endGrant(
  deps: GrantDeps,
  grantId: string,
  how: GrantEndReason,
  actor: AuditActor,
  reason: string,
  /** A version of the grant just listed (the expiry query's): the end is written without reading it again. */
  known?: { grant: Grant; etag: string },
): Promise<Grant> {
  const grants = deps.grants;
  const now = deps.clock.now();
  const ended = await markEnded(deps, grantId, how, actor, reason, now, known);
  const { etag } = ended;
  let { grant } = ended;
  if (grant.endReason === undefined) return grant;

  // An expired entry counts as absent already: usually a read only (coverageAfterEnd).
  const coverage = await grants.updateCoverage({ principalId: grant.principalId, roleDefinitionGuid: roleGuidOf(grant), scope: grant.scope }, (c) => coverageAfterEnd(c, grant.id, now));
  if (grant.pendingRemoval && otherLiveEntries(coverage, grant.id, now).length === 0) {
    try {
      await deps.roleAssignments.delete(grant.assignmentId);
    } catch (err) {
      if (err instanceof PermissionDeniedError) await reportPermissionDenied(deps, err, `removing the role assignment of grant ${grant.id}`);
      throw err;
    }
  }
  // The assignment is gone: the records held for it are appended (idempotent), the holder is
  // told, then one write marks the removal done, clears the records and notes the notice. A crash
  // in between leaves pendingRemoval (or the records) set, and the next expireGrants run repeats
  // these steps under the same idempotency keys: one record; at worst a second notice.
  const removed = { ...grant, pendingRemoval: false };
  const ready = readyEntries(removed);
  const owesNotice = !grant.endNoticeSentAt && (grant.pendingRemoval === true || ready.length > 0);
  if (!grant.pendingRemoval && !owesNotice && ready.length === 0) return grant;
  const done = new Set<string>();
  for (const o of ready) {
    await deps.audit.append(o.entry, { idempotencyKey: o.key });
    done.add(o.key);
  }
  if (owesNotice) await noticeOfEnd(deps, grant, grant.endReason, reason);
  const noticeSentAt = owesNotice ? now.toISOString() : undefined;
  ({ grant } = await grants.update(
    grant.id,
    (g) => (g.pendingRemoval || g.outbox?.some((o) => done.has(o.key)) || (noticeSentAt && !g.endNoticeSentAt) ? withoutAudit({ ...g, pendingRemoval: false, ...(g.endNoticeSentAt || !noticeSentAt ? {} : { endNoticeSentAt: noticeSentAt }) }, done) : g),
    etag ? { grant, etag } : undefined,
  ));
  return grant;
}

/**
 * Ends an active grant that is past its expiry, as the expireGrants timer finds it: four store
 * operations. The grant itself is the intent: an active grant past `expiresAt` stays due until the
 * last write, so nothing is written before the work is done. The coverage is read (an expired
 * entry counts as absent already; a live one, left by a renewal caught mid-way, is removed), the
 * assignment deleted unless another live grant still justifies it, the record appended under the
 * key every end of this grant shares (`grant.ended:<id>`: an expiry racing a revoke records one
 * end), the holder told, and one conditional write ends the grant. A crash anywhere, or a second
 * instance on the same grant, repeats the steps: ARM answers the second delete "gone", the
 * ledger's idempotency key refuses the second record, and the end is written once (compare and
 * swap). At worst the holder hears twice.
 */
export async function expireGrant(deps: GrantDeps, listed: { grant: Grant; etag?: string }, actor: AuditActor): Promise<Grant> {
  const { grant } = listed;
  const now = deps.clock.now();
  if (grant.status !== 'active' || Date.parse(grant.expiresAt) > now.getTime()) return grant;
  const reason = `expired at ${grant.expiresAt}`;
  const known = listed.etag ? { grant, etag: listed.etag } : undefined;
  try {
    const coverage = await deps.grants.updateCoverage({ principalId: grant.principalId, roleDefinitionGuid: roleGuidOf(grant), scope: grant.scope }, (c) => coverageAfterEnd(c, grant.id, now));
    if (otherLiveEntries(coverage, grant.id, now).length === 0) await deps.roleAssignments.delete(grant.assignmentId);
    // The assignment is gone: now the record may say so.
    await deps.audit.append({ ...endRecord(grant, 'expired', actor, reason), at: now.toISOString() }, { idempotencyKey: endKey(grant.id) });
  } catch (err) {
    // ARM or the ledger failed: the grant ends now all the same, in the form an interrupted end
    // takes (removal pending, record queued), which the next run's steps for those finish.
    if (err instanceof PermissionDeniedError) await reportPermissionDenied(deps, err, `removing the role assignment of grant ${grant.id}`);
    await markEnded(deps, grant.id, 'expired', actor, reason, now, known);
    throw err;
  }
  await noticeOfEnd(deps, grant, 'expired', reason);
  const done = await deps.grants.update(
    grant.id,
    // Whatever happened meanwhile (a renewal caught mid-way, a revoke that lost the record to this expiry), the assignment is gone.
    (g) => (g.status !== 'active' ? g : { ...asEnded(g, 'expired', actor, now, false), endNoticeSentAt: now.toISOString() }),
    known,
  );
  return done.grant;
}
