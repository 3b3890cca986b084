/**
 * Use cases of access requests: create, approve or deny, cancel, read, list, renew a grant,
 * and the timer's housekeeping of requests. Rules live in ./rules (pure); this module reads
 * state, applies a rule through the ETag compare-and-swap, records audit and notifies.
 */
import { randomUUID } from 'node:crypto';
import type { Deps } from '../ports/deps';
import type { AuditActor } from '../domain/audit/record';
import { AppError, ForbiddenError, NotFoundError, ValidationError } from '../domain/errors';
import { queueAudit } from '../domain/audit/outbox';
import { notifySafely, requestTarget } from './grants';
import { fulfilApproved } from './guardrailExceptions';
import { flushRequestAudit } from './outbox';
import { checkSelfAccess } from './selfAccess';
import { grantIdFor, type Grant } from '../domain/grants/grant';
import type { Caller } from '../domain/caller';
import type { AccessRequest, RequestStatus } from '../domain/requests/model';
import type { RequestFilter } from '../ports/requests';
import { decisionProblem, evaluateApproval, evaluateCancel, evaluateNewRequest, timeoutIfExpired, type ApprovalOutcome } from '../domain/requests/rules';
import { sameId } from '../domain/armIds';
import type { QueryPage } from '../ports/page';
import { armScopeProblem, normalizeScope } from '../domain/armIds';
import { findBuiltInRole } from '../domain/roles';
import { checkNeed, describeNeedProblems } from '../domain/suggestions/engine';
import { checkRequestedRole, type NeedCheck, type StatedNeed } from '../domain/suggestions/needCheck';
import { requestability } from '../domain/suggestions/requestable';
import { catalogAt } from './roleCatalog';

type RequestDeps = Pick<Deps, 'requests' | 'grants' | 'policies' | 'directory' | 'audit' | 'notifier' | 'clock' | 'roleAssignments' | 'appPrincipalId' | 'roleDefinitions' | 'guardrails' | 'selfAccess'>;

export interface NewRequestInput {
  scope: string;
  role: string;
  duration: string;
  justification: string;
  /** Admins may ask on behalf of another principal; everyone else asks for themselves. */
  principalId?: string;
  /** What the access is for: words (shown to approvers) and/or the operations needed (measured against the role). */
  need?: { text?: string; actions?: string[]; dataActions?: string[] };
}

/**
 * The stated need, and the requested role measured against its operations. No operations, no
 * measurement (and no call to ARM): a request without them works as it always did.
 */
async function assessNeed(deps: RequestDeps, input: NewRequestInput): Promise<{ need?: StatedNeed; needCheck?: NeedCheck }> {
  if (!input.need) return {};
  const text = input.need.text?.trim();
  const asked = { actions: input.need.actions ?? [], dataActions: input.need.dataActions ?? [] };
  const role = findBuiltInRole(input.role);
  if (asked.actions.length + asked.dataActions.length === 0 || !role || armScopeProblem(input.scope.trim())) {
    return { need: { ...(text ? { text } : {}), actions: [], dataActions: [] } };
  }
  const scope = normalizeScope(input.scope.trim());
  let catalog;
  try {
    catalog = await catalogAt(deps.roleDefinitions, scope);
  } catch (err) {
    if (err instanceof NotFoundError) throw new NotFoundError(`The scope ${scope} does not exist in Azure; check its spelling (resource names are exact).`, 'ScopeNotFound');
    throw err;
  }
  const checked = checkNeed(catalog, asked);
  if (!checked.ok) throw new ValidationError(`The stated need names unknown operations: ${describeNeedProblems(checked.problems)}.`, 'UnknownAction', { problems: checked.problems });
  const needCheck = checkRequestedRole(catalog, checked.need, role.guid, scope, (guid, at) => requestability(deps.policies, guid, at));
  return { need: { ...(text ? { text } : {}), actions: [...checked.need.actions], dataActions: [...checked.need.dataActions] }, ...(needCheck ? { needCheck } : {}) };
}

const actorOf = (caller: Caller): AuditActor => ({ id: caller.id, name: caller.name });

export async function createRequest(deps: RequestDeps, caller: Caller, input: NewRequestInput, renews?: Grant): Promise<AccessRequest> {
  const principalId = input.principalId ?? caller.id;
  if (!sameId(principalId, caller.id) && !caller.isAdmin) {
    throw new ForbiddenError('You can only request access for yourself; an AccessManager admin can request on behalf of another principal.', 'NotForOthers');
  }
  const stated = renews ? {} : await assessNeed(deps, input);
  const now = deps.clock.now();
  const result = evaluateNewRequest(
    {
      scope: input.scope,
      role: input.role,
      duration: input.duration,
      justification: input.justification,
      requester: { id: caller.id, name: caller.name },
      principalId,
      renewsGrant: renews,
      ...stated,
    },
    deps.policies,
    now,
  );
  if (!result.ok) throw result.error;
  // The grant goes out with the principal's real type (a group's members get access through it):
  // from the directory, and refused here when the directory has no such principal.
  const principalType = await deps.directory.principalType(principalId);
  if (!principalType) throw new ValidationError(`${principalId} is not a user, group or service principal of this tenant.`, 'PrincipalNotFound');
  const draft: AccessRequest = { id: randomUUID(), ...result.draft, principalType };
  const request = queueAudit(draft, `request.created:${draft.id}`, {
    action: 'request.created',
    actor: actorOf(caller),
    ...requestTarget(draft),
    grantId: draft.renewsGrantId,
    reason: draft.justification || undefined,
    details: {
      duration: draft.duration,
      exception: draft.exception,
      requiredApprovals: draft.requiredApprovals,
      principalType,
      ...(draft.needCheck
        ? {
            needOperations: (draft.need?.actions.length ?? 0) + (draft.need?.dataActions.length ?? 0),
            coversNeed: draft.needCheck.requested.covers,
            narrowest: draft.needCheck.narrowest?.roleName ?? null,
            broaderThanNeeded: draft.needCheck.broaderThanNeeded,
          }
        : {}),
    },
  }, now);
  const { etag } = await deps.requests.create(request);
  await flushRequestAudit(deps, request, etag);
  await notifyApprovers(deps, request);
  return request;
}

async function notifyApprovers(deps: RequestDeps, request: AccessRequest): Promise<void> {
  try {
    const users = new Set(request.approverUsers.map((u) => u.toLowerCase()));
    for (const u of await deps.directory.usersInGroups(request.approverGroups)) users.add(u.id.toLowerCase());
    users.delete(request.requester.id.toLowerCase());
    users.delete(request.principalId.toLowerCase());
    // Members of a group the access is for would approve their own access: they get no card.
    if (request.principalType === 'Group') for (const u of await deps.directory.usersInGroups([request.principalId])) users.delete(u.id.toLowerCase());
    await notifySafely(deps, {
      kind: 'request.pending',
      recipients: [...users],
      subject: `Approval needed: ${request.roleName}${request.exception ? ' (exception)' : ''}`,
      text: `${request.requester.name} asks for ${request.roleName} on ${request.scope} for ${request.duration}: ${request.justification}${needSummary(request)}`,
      requestId: request.id,
      key: `request.pending:${request.id}`,
    });
  } catch (err) {
    // The request stands; approvers can still find it through the API.
    console.warn(`Could not notify approvers of request ${request.id}: ${err instanceof Error ? err.message : String(err)}`);
  }
}

/** One sentence on the stated need for texts to approvers; empty when there is nothing to say. */
function needSummary(request: AccessRequest): string {
  const check = request.needCheck;
  if (!check) return request.need?.text ? ` (need: ${request.need.text})` : '';
  if (!check.requested.covers) return ` (does not cover the stated need)`;
  if (check.broaderThanNeeded && check.narrowest) return ` (broader than needed: ${check.narrowest.roleName} would do)`;
  return '';
}

export interface DecisionInput {
  decision: 'approve' | 'deny';
  comment?: string;
}

/**
 * Records one approver's decision with compare-and-swap: concurrent approvals all land,
 * and exactly one of them sees the threshold reached and triggers the grant.
 */
export async function decideRequest(deps: RequestDeps, caller: Caller, requestId: string, input: DecisionInput): Promise<AccessRequest> {
  // Refused before any read, as a bad body would be: evaluateApproval checks it again.
  const problem = decisionProblem(input.decision, input.comment);
  if (problem) throw problem;
  const requests = deps.requests;
  let outcome: ApprovalOutcome | undefined;
  let refusal: Error | undefined;
  let membership: boolean | undefined;
  let memberOfPrincipal: boolean | undefined;
  const updated = await requests.update(requestId, async (current) => {
    outcome = undefined;
    refusal = undefined;
    const listed = current.approverUsers.some((u) => sameId(u, caller.id));
    // Asked once per call, fresh from the directory: a removed approver must not keep approving.
    membership ??= listed ? false : await deps.directory.isMemberOfAny(caller.id, current.approverGroups);
    // Access for a group is access for its members (transitively): none of them may approve it.
    memberOfPrincipal ??= current.principalType === 'Group' ? await deps.directory.isMemberOfAny(caller.id, [current.principalId]) : false;
    const now = deps.clock.now();
    const result = evaluateApproval(current, { approverId: caller.id, approverName: caller.name, decision: input.decision, comment: input.comment }, membership, now, { memberOfPrincipal });
    if (!result.ok) {
      refusal = result.error;
      return result.request ? withTimeoutRecorded(deps, result.request, now) : current;
    }
    outcome = result.outcome;
    let next = withApprovalRecorded(result.request, caller, now);
    if (outcome === 'denied') next = queueAudit(next, `request.denied:${next.id}`, { action: 'request.denied', actor: actorOf(caller), ...requestTarget(next), reason: input.comment }, now);
    if (outcome !== 'approved') return next;
    return { ...next, grantId: next.renewsGrantId ?? grantIdFor(next.id), fulfilled: false };
  });
  // The records of this caller's change go to the ledger now (also those a crash of this caller's
  // earlier attempt left behind: the same keys). The answer is the request as this call left it.
  const request = updated.request;
  const mine = new Set([`approval.recorded:${request.id}:${caller.id.toLowerCase()}`, `request.denied:${request.id}`, `request.timedOut:${request.id}`]);
  if (refusal) {
    // A refusal stands whatever the ledger says: its record (a timeout) is finished later if not now.
    await flushRequestAudit(deps, request, updated.changed ? updated.etag : undefined, mine).catch((err: unknown) => {
      if (!(err instanceof AppError && err.transient)) throw err;
    });
    throw refusal;
  }
  await flushRequestAudit(deps, request, updated.changed ? updated.etag : undefined, mine);
  if (outcome === 'denied') {
    await notifySafely(deps, {
      kind: 'request.denied',
      recipients: [request.requester.id],
      subject: `Request denied: ${request.roleName}`,
      text: `${caller.name} denied your request for ${request.roleName} on ${request.scope}${input.comment ? `: ${input.comment}` : ''}.`,
      requestId: request.id,
      key: `request.denied:${request.id}`,
    });
    return request;
  }
  await notifySafely(deps, {
    kind: outcome === 'approved' ? 'request.approved' : 'request.updated',
    recipients: outcome === 'approved' ? [request.requester.id] : [],
    subject: `${outcome === 'approved' ? 'Request approved' : 'Approval recorded'}: ${request.roleName}`,
    text: `${caller.name} approved ${request.roleName} on ${request.scope}.`,
    requestId: request.id,
    key: `request.${outcome}:${request.id}:${caller.id}`,
  });
  if (outcome === 'approved') {
    try {
      // Granted: the request is as we wrote it, now fulfilled. Anything else (failed): read what was recorded.
      if (await fulfilApproved(deps, request)) return { ...request, fulfilled: true };
    } catch (err) {
      // The approval is safe in the store; the expireGrants timer finishes the grant.
      console.warn(`Grant for request ${request.id} not finished yet (${err instanceof Error ? err.message : String(err)}); the timer will retry.`);
      return request;
    }
    return (await requests.get(request.id)) ?? request;
  }
  return request;
}

/** The request with the audit record of this approver's decision queued (keyed: one per approver). */
function withApprovalRecorded(request: AccessRequest, caller: Caller, now: Date): AccessRequest {
  const approval = request.approvals.find((a) => sameId(a.approverId, caller.id));
  if (!approval) return request;
  return queueAudit(
    request,
    `approval.recorded:${request.id}:${approval.approverId.toLowerCase()}`,
    {
      action: 'approval.recorded',
      actor: { id: approval.approverId, name: approval.approverName },
      ...requestTarget(request),
      reason: approval.comment,
      details: { decision: approval.decision },
      at: approval.at,
    },
    now,
  );
}

/** A request that just timed out, with its record queued; any other request unchanged. */
function withTimeoutRecorded(deps: Pick<Deps, 'appPrincipalId'>, request: AccessRequest, now: Date): AccessRequest {
  if (request.status !== 'timedOut') return request;
  return queueAudit(request, `request.timedOut:${request.id}`, { action: 'request.timedOut', actor: { id: deps.appPrincipalId, name: 'AccessManager' }, ...requestTarget(request), reason: `no decision before ${request.expiresAt}` }, now);
}

async function notifyTimeout(deps: Pick<Deps, 'notifier'>, request: AccessRequest): Promise<void> {
  await notifySafely(deps, {
    kind: 'request.timedOut',
    recipients: [request.requester.id],
    subject: `Request timed out: ${request.roleName}`,
    text: `Your request for ${request.roleName} on ${request.scope} got no decision before ${request.expiresAt}. Ask again if you still need it.`,
    requestId: request.id,
    key: `request.timedOut:${request.id}`,
  });
}

export async function cancelRequest(deps: RequestDeps, caller: Caller, requestId: string): Promise<AccessRequest> {
  let refusal: Error | undefined;
  const updated = await deps.requests.update(requestId, (current) => {
    refusal = undefined;
    const now = deps.clock.now();
    const result = evaluateCancel(current, caller.id, now);
    if (!result.ok) {
      refusal = result.error;
      return result.request ? withTimeoutRecorded(deps, result.request, now) : current;
    }
    return queueAudit(result.request, `request.cancelled:${current.id}`, { action: 'request.cancelled', actor: actorOf(caller), ...requestTarget(current) }, now);
  });
  const request = updated.request;
  const mine = new Set([`request.cancelled:${request.id}`, `request.timedOut:${request.id}`]);
  await flushRequestAudit(deps, request, updated.changed ? updated.etag : undefined, mine).catch((err: unknown) => {
    if (!refusal || !(err instanceof AppError && err.transient)) throw err;
  });
  if (refusal) {
    if (updated.changed && request.status === 'timedOut') await notifyTimeout(deps, request);
    throw refusal;
  }
  await notifySafely(deps, { kind: 'request.cancelled', recipients: [], subject: `Request cancelled: ${request.roleName}`, text: `${caller.name} cancelled the request.`, requestId: request.id, key: `request.cancelled:${request.id}` });
  return request;
}

/** Whether the caller may approve this request: a listed user or a (transitive) member of an approver group. */
export async function isEligibleApprover(deps: Pick<Deps, 'directory'>, caller: Caller, request: AccessRequest): Promise<boolean> {
  if (sameId(caller.id, request.requester.id) || sameId(caller.id, request.principalId)) return false;
  if (request.principalType === 'Group' && (await deps.directory.isMemberOfAny(caller.id, [request.principalId]))) return false;
  if (request.approverUsers.some((u) => sameId(u, caller.id))) return true;
  return deps.directory.isMemberOfAny(caller.id, request.approverGroups);
}

/** The request, if the caller may see it: requester, principal, eligible approver or admin. Others get 404, so ids do not leak. */
export async function getRequest(deps: RequestDeps, caller: Caller, requestId: string): Promise<AccessRequest> {
  const found = await deps.requests.get(requestId);
  const visible =
    found !== undefined &&
    (caller.isAdmin || sameId(caller.id, found.requester.id) || sameId(caller.id, found.principalId) || (await isEligibleApprover(deps, caller, found)));
  if (!found || !visible) throw new NotFoundError(`Request ${requestId} does not exist, or you are not allowed to see it.`, 'RequestNotFound');
  return timeoutIfExpired(found, deps.clock.now());
}

export interface ListRequestsInput {
  status?: RequestStatus;
  mine?: boolean;
  approverMe?: boolean;
  limit?: number;
  continuationToken?: string;
}

/**
 * `mine` alone: what I asked for. `approverMe` alone: what I may approve (never my own).
 * Both, or neither for anyone but an admin: mine and those I may approve, in one query.
 * An admin with neither lists everything.
 */
export async function listRequests(deps: RequestDeps, caller: Caller, input: ListRequestsInput): Promise<QueryPage<AccessRequest>> {
  const filter: RequestFilter = { status: input.status, maxItemCount: input.limit, continuationToken: input.continuationToken };
  const approverOnly = input.approverMe === true && input.mine !== true;
  const involving = (input.approverMe === true && input.mine === true) || (!input.approverMe && !input.mine && !caller.isAdmin);
  if (approverOnly || involving) {
    const candidateGroups = [...new Set(deps.policies.policies.flatMap((p) => [...p.roles.flatMap((r) => r.approvers.groups), ...(p.exception?.approvers.groups ?? []), ...(p.guardrails?.exceptions?.approvers.groups ?? [])]))];
    const who = { userId: caller.id, groupIds: await deps.directory.memberGroups(caller.id, candidateGroups) };
    if (approverOnly) filter.approver = who;
    else filter.involving = who;
  } else if (input.mine) {
    filter.requesterId = caller.id;
  }
  const page = await deps.requests.list(filter);
  const now = deps.clock.now();
  let items = page.items.map((r) => timeoutIfExpired(r, now));
  if (approverOnly) {
    // Not their own, and not for a group they belong to (one directory call per page).
    const groups = [...new Set(items.filter((r) => r.principalType === 'Group').map((r) => r.principalId.toLowerCase()))];
    const mine = new Set(groups.length > 0 ? await deps.directory.memberGroups(caller.id, groups) : []);
    items = items.filter((r) => !sameId(r.requester.id, caller.id) && !sameId(r.principalId, caller.id) && !mine.has(r.principalId.toLowerCase()));
  }
  return { items, continuationToken: page.continuationToken };
}

/** A renewal is a new request linked to the grant; on approval it extends that grant. */
export async function renewGrant(deps: RequestDeps, caller: Caller, grantId: string, input: { duration: string; justification: string }): Promise<AccessRequest> {
  const grant = await deps.grants.get(grantId);
  if (!grant || (!sameId(grant.principalId, caller.id) && !caller.isAdmin)) {
    throw new NotFoundError(`Grant ${grantId} does not exist, or it is not yours.`, 'GrantNotFound');
  }
  if (!sameId(grant.principalId, caller.id)) throw new ForbiddenError('Only the holder of a grant can renew it.', 'NotHolder');
  return createRequest(deps, caller, { scope: grant.scope, role: grant.roleDefinitionId, duration: input.duration, justification: input.justification, principalId: grant.principalId }, grant);
}

/** Timer step: pending requests past their deadline become timedOut. */
export async function timeOutOverdueRequests(deps: RequestDeps): Promise<number> {
  const requests = deps.requests;
  let count = 0;
  for (const overdue of await requests.overdue(deps.clock.now())) {
    const updated = await requests.update(overdue.id, (r) => {
      const now = deps.clock.now();
      const next = timeoutIfExpired(r, now);
      return next === r ? r : withTimeoutRecorded(deps, next, now);
    });
    const request = await flushRequestAudit(deps, updated.request, updated.changed ? updated.etag : undefined);
    if (updated.changed && request.status === 'timedOut') {
      await notifyTimeout(deps, request);
      count++;
    }
  }
  return count;
}

/** Timer step: approved requests whose grant is not recorded yet (crash, ARM outage) are finished. */
export async function finishUnfulfilledRequests(deps: RequestDeps): Promise<{ finished: number; failed: number }> {
  let finished = 0;
  let failed = 0;
  const backlog = await deps.requests.unfulfilled();
  // Requests waiting for AccessManager's permission are tried again only once it is back (one check per run, not one per request).
  const permitted = backlog.some((r) => r.waitingForPermission) ? (await checkSelfAccess(deps, { noticedWhile: 'fulfilling approved requests' })).ok : true;
  for (const request of backlog) {
    if (request.waitingForPermission && !permitted) continue;
    try {
      await fulfilApproved(deps, request);
      finished++;
    } catch (err) {
      failed++;
      console.warn(`Fulfilment of request ${request.id} failed again: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  return { finished, failed };
}
