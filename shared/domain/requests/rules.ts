/**
 * The rules of access requests, as pure functions of (command, request state, policy, clock).
 * They return the new state or a named error and never do I/O: the use cases load, call these,
 * and persist what comes back (with ETag compare-and-swap around approvals).
 *
 * Decisions worth knowing (also in policies/research.yaml):
 * - Under a flexible policy, an unlisted role or a listed role for longer than its maximum
 *   becomes an exception: one approval more than the strictest listed role, from the
 *   policy's exception approvers, for at most half the policy's longest maximum, and always
 *   with a justification. A duration above that cap is refused (400), not escalated further.
 * - Renewals are never exceptions: the role must be listed, renewable, and within its
 *   maximum. An exception is a one-off; ask for a new one.
 * - A stated need is measured against the requested role (../suggestions/needCheck.ts). Under a
 *   policy with `narrowest: require`, a new request must state its need as operations, the role
 *   must cover it, and a role broader than the narrowest requestable one needs one more approval
 *   and a justification. Renewals keep the role they renew and are not measured again.
 * - Any deny ends a request, and needs a reason (the requester is told it, the audit trail
 *   keeps it). Approvals count distinct approvers; the requester and the principal who would
 *   get the role never count.
 */
import { AppError, ConflictError, ForbiddenError, ValidationError } from '../errors';
import { armScopeProblem, isGuid, normalizeScope, roleDefinitionGuid, roleDefinitionId, sameId, sameScope, subscriptionOf } from '../armIds';
import { findBuiltInRole, type BuiltInRole } from '../roles';
import { isPrivilegedRole } from '../permissions';
import { freeTextProblem, hasVisibleText } from '../text';
import { checkDuration, formatDuration, parseDuration } from '../policy/duration';
import { exceptionTerms, findPolicyRole, type PolicySet } from '../policy/policySet';
import { ACCEPTED_ROLE_FORMS } from '../policy/schema';
import type { ApprovalChannel, Approvers, ExceptionTerms, JustificationRule, Policy } from '../policy/types';
import type { NeedCheck, StatedNeed } from '../suggestions/needCheck';
import type { AccessRequest, Approval, Decision, RequestDraft, Requester } from './model';

export type { AccessRequest, Decision, RequestDraft, Requester } from './model';

/** Longest justification or comment kept; the rest of the system shows them on cards and in audit. */
export const MAX_TEXT_LENGTH = 2000;

/**
 * The shortest grant: one minute. Shorter ones (PT0.0006S is 1 ms) cannot be enforced meaningfully
 * (expiry runs every minute) and only fill the ledger.
 */
export const MIN_GRANT_DURATION_MS = 60_000;

export interface RuleFailure {
  ok: false;
  error: AppError;
  /** When the failure itself changes the request (it timed out), the state to persist. */
  request?: AccessRequest;
}

/** The parts of a grant a renewal needs; the grant store's Grant type satisfies it. */
export interface RenewableGrant {
  id: string;
  principalId: string;
  scope: string;
  roleDefinitionId: string;
  status: string;
  expiresAt: string;
}

export interface NewRequestCommand {
  scope: string;
  /** Role display name, role definition GUID, or full role definition id. */
  role: string;
  /** ISO 8601 duration, e.g. `PT8H`. */
  duration: string;
  justification: string;
  requester: Requester;
  /** Who gets the role; defaults to the requester. */
  principalId?: string;
  /** Set when this request renews (extends) an existing grant. */
  renewsGrant?: RenewableGrant;
  /** What the requester says they need. */
  need?: StatedNeed;
  /** The requested role measured against the need's operations (absent when the need names none). */
  needCheck?: NeedCheck;
}

export type NewRequestResult = { ok: true; draft: RequestDraft } | RuleFailure;

/** Short name of a scope for messages: `rg-weights`, `subscription 0000...`, `stweights`. */
export function scopeLabel(scope: string): string {
  const parts = normalizeScope(scope).split('/').filter(Boolean);
  const type = parts[parts.length - 2]?.toLowerCase();
  const name = parts[parts.length - 1] ?? '/';
  return type === 'subscriptions' ? `subscription ${name}` : name;
}

const fail = (error: AppError, request?: AccessRequest): RuleFailure => (request ? { ok: false, error, request } : { ok: false, error });

function checkJustification(text: string, rule: JustificationRule, what: string): AppError | undefined {
  const trimmed = text.trim();
  if (trimmed.length > MAX_TEXT_LENGTH) {
    return new ValidationError(`The justification is ${trimmed.length} characters; keep it to ${MAX_TEXT_LENGTH}.`, 'JustificationInvalid');
  }
  const unsafe = freeTextProblem(trimmed, 'The justification');
  if (unsafe) return new ValidationError(`${unsafe}.`, 'JustificationInvalid');
  if (trimmed === '') {
    return rule.required ? new ValidationError(`A justification is required for ${what}: say what you need the access for.`, 'JustificationRequired') : undefined;
  }
  // Zero-width or other invisible characters alone would pass a length check and show approvers nothing.
  if (!hasVisibleText(trimmed)) {
    return new ValidationError(`The justification for ${what} shows no visible text: say what you need the access for.`, rule.required ? 'JustificationRequired' : 'JustificationInvalid');
  }
  if (rule.minLength !== undefined && trimmed.length < rule.minLength) {
    return new ValidationError(
      `The justification for ${what} must be at least ${rule.minLength} characters (it has ${trimmed.length}).`,
      'JustificationInvalid',
    );
  }
  if (rule.pattern !== undefined && !new RegExp(rule.pattern).test(trimmed)) {
    return new ValidationError(`The justification for ${what} must match the pattern ${rule.pattern} set by the policy.`, 'JustificationInvalid');
  }
  return undefined;
}

function renewalProblem(command: NewRequestCommand, principalId: string, guid: string, now: Date): AppError | undefined {
  const grant = command.renewsGrant;
  if (!grant) return undefined;
  if (!sameId(grant.principalId, principalId) || roleDefinitionGuid(grant.roleDefinitionId) !== guid || !sameScope(grant.scope, command.scope)) {
    return new ValidationError(
      `A renewal must be for the same principal, role and scope as grant ${grant.id}; request other access as a new request.`,
      'RenewalMismatch',
    );
  }
  const ended = grantEnded(grant, now);
  if (ended) return new ConflictError(`Grant ${grant.id} is no longer active (${ended}); make a new request instead of a renewal.`, 'GrantNotActive');
  return undefined;
}

/** Why a grant can no longer be renewed, or undefined while it is live. */
function grantEnded(grant: Pick<RenewableGrant, 'status' | 'expiresAt'>, now: Date): string | undefined {
  if (grant.status !== 'active') return grant.status;
  // Written so that an unreadable expiry counts as ended: fail closed.
  return Date.parse(grant.expiresAt) > now.getTime() ? undefined : `expired at ${grant.expiresAt}`;
}

interface Terms {
  exception: boolean;
  approvals: number;
  approvers: Approvers;
  maxDurationMs: number;
  justification: JustificationRule;
  approvalChannel: ApprovalChannel;
}

function listRoles(policy: Policy): string {
  return policy.roles.length === 0 ? 'none' : policy.roles.map((r) => `${r.roleName} (max ${r.maxDuration})`).join(', ');
}

/**
 * Why `role` cannot be an exception under these terms, or undefined when it can: an explicit
 * `exception.roles` list decides; without one, privileged roles (those that can change who has
 * access) never are. An exception is a way round the listed roles, not round the approvers of
 * who may grant access.
 */
function exceptionRoleProblem(exception: ExceptionTerms, role: BuiltInRole, where: string): AppError | undefined {
  if (exception.roles) {
    if (exception.roles.includes(role.guid)) return undefined;
    return new ForbiddenError(`${role.roleName} cannot be requested as an exception on ${where}: the policy allows exceptions only for the roles in its exception.roles list.`, 'RoleNotRequestable');
  }
  if (isPrivilegedRole(role)) {
    return new ForbiddenError(
      `${role.roleName} is a privileged role (it can grant access to others) and cannot be requested as an exception on ${where}; a policy must list it explicitly (roles, or exception.roles).`,
      'PrivilegedRoleNotRequestable',
    );
  }
  return undefined;
}

/** Decides under which terms (normal or exception) a role and duration can be requested; or why not. */
function decideTerms(policy: Policy, role: BuiltInRole, durationMs: number, renewal: boolean): Terms | AppError {
  const { guid, roleName } = role;
  const where = `${scopeLabel(policy.scope)} (policy ${policy.id})`;
  const listed = findPolicyRole(policy, guid);
  const exception = exceptionTerms(policy);
  const exceptionProblem = exception ? exceptionRoleProblem(exception, role, where) : undefined;
  const asException = (justification: JustificationRule, approvalChannel: ApprovalChannel): Terms | undefined =>
    exception && !exceptionProblem && !renewal && durationMs <= exception.maxDurationMs
      ? {
          exception: true,
          approvals: exception.approvals,
          approvers: exception.approvers,
          maxDurationMs: exception.maxDurationMs,
          justification: { ...justification, required: true },
          approvalChannel,
        }
      : undefined;
  const requested = formatDuration(durationMs);

  if (!listed) {
    if (!exception) {
      return new ForbiddenError(`${roleName} cannot be requested on ${where}. Requestable roles: ${listRoles(policy)}.`, 'RoleNotRequestable');
    }
    if (renewal) {
      return new ForbiddenError(`${roleName} on ${where} was an exception; exceptions cannot be renewed, request a new exception.`, 'NotRenewable');
    }
    if (exceptionProblem) return exceptionProblem;
    return (
      asException({ required: true }, 'teams') ??
      new ValidationError(
        `${requested} exceeds the maximum ${exception.maxDuration} for an exception request for ${roleName} on ${where}; ask for ${exception.maxDuration} or less.`,
        'DurationTooLong',
      )
    );
  }

  if (renewal && !listed.renewable) {
    return new ForbiddenError(`${listed.roleName} on ${where} is not renewable; make a new request when the grant ends.`, 'NotRenewable');
  }
  if (listed.minDurationMs !== undefined && durationMs < listed.minDurationMs) {
    return new ValidationError(
      `${requested} is shorter than the minimum ${listed.minDuration} for ${listed.roleName} on ${where}; ask for ${listed.minDuration} or more.`,
      'DurationTooShort',
    );
  }
  if (durationMs > listed.maxDurationMs) {
    const escalated = asException(listed.justification, listed.approvalChannel);
    if (escalated) return escalated;
    const viaException = exception && !exceptionProblem && !renewal && exception.maxDurationMs > listed.maxDurationMs ? ` (up to ${exception.maxDuration} as an exception, with more approvals)` : '';
    return new ValidationError(
      `${requested} exceeds the maximum ${listed.maxDuration} for ${listed.roleName} on ${where}; ask for ${listed.maxDuration} or less${viaException}.`,
      'DurationTooLong',
    );
  }
  return {
    exception: false,
    approvals: listed.approvals,
    approvers: listed.approvers,
    maxDurationMs: listed.maxDurationMs,
    justification: listed.justification,
    approvalChannel: listed.approvalChannel,
  };
}

/** The policy's `narrowest` rule applied to the terms: unchanged, stricter (with the reason), or a refusal. */
function applyNarrowestRule(policy: Policy, roleName: string, terms: Terms, command: NewRequestCommand): { terms: Terms; reason?: string } | AppError {
  if (policy.narrowest !== 'require' || command.renewsGrant) return { terms };
  const check = command.needCheck;
  const where = `${scopeLabel(policy.scope)} (policy ${policy.id})`;
  if (!check) {
    return new ValidationError(
      `Policy ${policy.id} asks every request on ${scopeLabel(policy.scope)} to state its need: send need.actions and/or need.dataActions (POST /api/suggestions finds them from words).`,
      'NeedRequired',
    );
  }
  if (!check.requested.covers) {
    const missing = [...check.requested.missing.actions, ...check.requested.missing.dataActions].join(', ');
    const instead = check.narrowestRequestable ? `; ${check.narrowestRequestable.roleName} does` : '';
    return new ValidationError(`${roleName} does not grant ${missing} at ${check.scope}, which the stated need names${instead}.`, 'RoleDoesNotCoverNeed');
  }
  if (!check.broaderThanRequestable || !check.narrowestRequestable) return { terms };
  const reason = `${roleName} is broader than ${check.narrowestRequestable.roleName}, the narrowest role for the stated need that ${where} lets one request: one more approval, and a justification.`;
  return { terms: { ...terms, approvals: terms.approvals + 1, justification: { ...terms.justification, required: true } }, reason };
}

/** Checks a new request (or a renewal) against the governing policy and drafts it. */
export function evaluateNewRequest(command: NewRequestCommand, policies: PolicySet, now: Date): NewRequestResult {
  const problem = armScopeProblem(command.scope.trim());
  const scope = normalizeScope(command.scope.trim());
  const subscriptionId = subscriptionOf(scope);
  if (problem || !subscriptionId || !isGuid(subscriptionId)) {
    return fail(new ValidationError(`"${command.scope.slice(0, 200)}" is not an ARM scope${problem ? ` (${problem})` : ''}; send one like /subscriptions/<id>/resourceGroups/<name>.`, 'InvalidScope'));
  }

  const checked = checkDuration(command.duration);
  if (!checked.ok) return fail(new ValidationError(`Invalid duration: ${checked.reason}.`, 'InvalidDuration'));
  if (checked.ms <= 0) return fail(new ValidationError(`Invalid duration: "${command.duration}" is zero; ask for a positive duration such as PT1H.`, 'InvalidDuration'));
  if (checked.ms < MIN_GRANT_DURATION_MS) {
    return fail(new ValidationError(`"${command.duration}" is shorter than one minute, the shortest grant AccessManager makes; ask for PT1M or more.`, 'DurationTooShort'));
  }

  const role = findBuiltInRole(command.role);
  if (!role) return fail(new ValidationError(`Unknown role "${command.role}": name ${ACCEPTED_ROLE_FORMS}.`, 'UnknownRole'));

  const principalId = command.principalId ?? command.requester.id;
  const renewal = renewalProblem(command, principalId, role.guid, now);
  if (renewal) return fail(renewal);

  const policy = policies.governing(scope);
  if (!policy) return fail(new ForbiddenError(`no policy governs ${scope}: AccessManager only grants access where a policy allows it.`, 'NoPolicy'));

  const decided = decideTerms(policy, role, checked.ms, command.renewsGrant !== undefined);
  if (decided instanceof AppError) return fail(decided);
  const narrowest = applyNarrowestRule(policy, role.roleName, decided, command);
  if (narrowest instanceof AppError) return fail(narrowest);
  const terms = narrowest.terms;

  const justificationError = checkJustification(command.justification, terms.justification, `${role.roleName} on ${scopeLabel(policy.scope)}`);
  if (justificationError) return fail(justificationError);

  // A request only users who cannot approve it could approve would wait for nothing.
  const eligibleUsers = terms.approvers.users.filter((u) => !sameId(u, command.requester.id) && !sameId(u, principalId));
  if (terms.approvers.groups.length === 0 && eligibleUsers.length < terms.approvals) {
    return fail(
      new ForbiddenError(
        `Nobody else can approve this: ${terms.approvals} distinct approvals are needed and only ${eligibleUsers.length} approver(s) other than you are listed.`,
        'NoEligibleApprovers',
      ),
    );
  }

  const draft: RequestDraft = {
    requester: { id: command.requester.id, name: command.requester.name },
    principalId,
    scope,
    roleDefinitionId: roleDefinitionId(subscriptionId, role.guid),
    roleName: role.roleName,
    duration: formatDuration(checked.ms),
    durationMs: checked.ms,
    justification: command.justification.trim(),
    policyId: policy.id,
    status: 'pending',
    approvals: [],
    requiredApprovals: terms.approvals,
    approverGroups: [...terms.approvers.groups],
    approverUsers: [...terms.approvers.users],
    exception: terms.exception,
    createdAt: now.toISOString(),
    expiresAt: new Date(now.getTime() + policy.pendingRequestTtlMs).toISOString(),
    approvalChannel: terms.approvalChannel,
    maxDurationMs: terms.maxDurationMs,
    ...(command.renewsGrant ? { renewsGrantId: command.renewsGrant.id } : {}),
    ...(command.need ? { need: command.need } : {}),
    ...(command.needCheck ? { needCheck: command.needCheck } : {}),
    ...(narrowest.reason ? { extraApprovalReason: narrowest.reason } : {}),
  };
  return { ok: true, draft };
}

/** The ids of the distinct approvers who approved (deny decisions not counted), first spelling kept. */
export function distinctApprovers(request: Pick<AccessRequest, 'approvals'>): string[] {
  const seen = new Map<string, string>();
  for (const a of request.approvals) {
    if (a.decision === 'approve' && !seen.has(a.approverId.toLowerCase())) seen.set(a.approverId.toLowerCase(), a.approverId);
  }
  return [...seen.values()];
}

/** How many more distinct approvals the request needs (0 once the threshold is met). */
export function approvalsNeeded(request: Pick<AccessRequest, 'approvals' | 'requiredApprovals'>): number {
  return Math.max(0, request.requiredApprovals - distinctApprovers(request).length);
}

/** True when a pending request has passed its deadline. */
export function isPastDeadline(request: Pick<AccessRequest, 'status' | 'expiresAt'>, now: Date): boolean {
  // An unreadable deadline counts as passed: fail closed.
  return request.status === 'pending' && !(now.getTime() < Date.parse(request.expiresAt));
}

/** The request timed out if it is pending past its deadline; otherwise the same object, unchanged. */
export function timeoutIfExpired(request: AccessRequest, now: Date): AccessRequest {
  return isPastDeadline(request, now) ? { ...request, status: 'timedOut', resolvedAt: now.toISOString() } : request;
}

function resolvedError(request: AccessRequest, now: Date): RuleFailure | undefined {
  if (request.status !== 'pending') {
    return fail(new ConflictError(`Request ${request.id} is already ${request.status}; nothing can change it now.`, 'RequestResolved'));
  }
  if (isPastDeadline(request, now)) {
    return fail(
      new ConflictError(`Request ${request.id} timed out at ${request.expiresAt} without enough approvals; ask again if access is still needed.`, 'RequestTimedOut'),
      timeoutIfExpired(request, now),
    );
  }
  return undefined;
}

export interface ApprovalCommand {
  approverId: string;
  approverName: string;
  decision: Decision;
  comment?: string;
}

export type ApprovalOutcome = 'recorded' | 'approved' | 'denied';
export type ApprovalResult = { ok: true; request: AccessRequest; outcome: ApprovalOutcome } | RuleFailure;

/** A denial needs a reason: the requester is told it and the audit trail keeps it. Checked before anything else. */
export function decisionProblem(decision: Decision, comment: string | undefined): ValidationError | undefined {
  const text = comment?.trim();
  const unsafe = text ? freeTextProblem(text, decision === 'deny' ? 'The reason' : 'The comment') : undefined;
  if (unsafe) return new ValidationError(`${unsafe}.`, 'CommentInvalid');
  // Zero-width or other invisible characters alone are no reason.
  if (decision === 'deny' && !(text && hasVisibleText(text))) return new ValidationError('A denial needs a reason: say why you deny.', 'ReasonRequired');
  return undefined;
}

/**
 * Records an approval or a denial. `isMember` is whether the approver is (transitively) in
 * one of the request's approver groups, resolved by the caller through Graph.
 */
export function evaluateApproval(request: AccessRequest, command: ApprovalCommand, isMember: boolean, now: Date, opts: { memberOfPrincipal?: boolean } = {}): ApprovalResult {
  const problem = decisionProblem(command.decision, command.comment);
  if (problem) return fail(problem);
  const resolved = resolvedError(request, now);
  if (resolved) return resolved;

  const approverId = command.approverId;
  if (sameId(approverId, request.requester.id) || sameId(approverId, request.principalId)) {
    return fail(new ForbiddenError('You cannot approve or deny a request for your own access; another approver must decide.', 'SelfApproval'));
  }
  if (opts.memberOfPrincipal) {
    return fail(
      new ForbiddenError(`You are a member of group ${request.principalId}, which this request gives access to: you cannot approve or deny it; another approver must decide.`, 'SelfApproval'),
    );
  }
  const listedUser = request.approverUsers.some((u) => sameId(u, approverId));
  if (!listedUser && !isMember) {
    const who = [
      request.approverGroups.length ? `members of group(s) ${request.approverGroups.join(', ')}` : '',
      request.approverUsers.length ? `user(s) ${request.approverUsers.join(', ')}` : '',
    ]
      .filter(Boolean)
      .join(' or ');
    return fail(new ForbiddenError(`You are not an approver of request ${request.id}: only ${who} may decide.`, 'NotAnApprover'));
  }
  const previous = request.approvals.find((a) => sameId(a.approverId, approverId));
  if (previous) {
    return fail(new ConflictError(`You already decided on request ${request.id} (${previous.decision}, at ${previous.at}); each approver decides once.`, 'AlreadyDecided'));
  }
  const comment = command.comment?.trim();
  if (comment && comment.length > MAX_TEXT_LENGTH) {
    return fail(new ValidationError(`The comment is ${comment.length} characters; keep it to ${MAX_TEXT_LENGTH}.`, 'CommentTooLong'));
  }

  const at = now.toISOString();
  const approval: Approval = { approverId, approverName: command.approverName, decision: command.decision, ...(comment ? { comment } : {}), at };
  const withApproval: AccessRequest = { ...request, approvals: [...request.approvals, approval] };
  if (command.decision === 'deny') {
    return { ok: true, request: { ...withApproval, status: 'denied', resolvedAt: at }, outcome: 'denied' };
  }
  if (approvalsNeeded(withApproval) === 0) {
    return { ok: true, request: { ...withApproval, status: 'approved', resolvedAt: at }, outcome: 'approved' };
  }
  return { ok: true, request: withApproval, outcome: 'recorded' };
}

export type CancelResult = { ok: true; request: AccessRequest } | RuleFailure;

/** Only the requester cancels, and only while the request is pending. */
export function evaluateCancel(request: AccessRequest, callerId: string, now: Date): CancelResult {
  if (!sameId(callerId, request.requester.id)) {
    return fail(new ForbiddenError(`Only the requester can cancel request ${request.id}.`, 'NotRequester'));
  }
  const resolved = resolvedError(request, now);
  if (resolved) return resolved;
  return { ok: true, request: { ...request, status: 'cancelled', resolvedAt: now.toISOString() } };
}

/** Duration of a request in milliseconds (stored, or parsed from its ISO form for older documents). */
export function requestDurationMs(request: Pick<AccessRequest, 'duration' | 'durationMs'>): number {
  return request.durationMs ?? parseDuration(request.duration);
}

export interface GrantWindow {
  startsAt: string;
  expiresAt: string;
}

/** A grant's validity: the clock starts when the grant is made, not when it was requested. */
export function grantWindow(startsAt: Date | string, durationMs: number): GrantWindow {
  const start = typeof startsAt === 'string' ? new Date(startsAt) : startsAt;
  return { startsAt: start.toISOString(), expiresAt: new Date(start.getTime() + durationMs).toISOString() };
}

export type RenewalExtensionResult = { ok: true; expiresAt: string; extended: boolean; capped: boolean } | RuleFailure;

/**
 * A renewal extends the same grant: new expiry = max(current expiry, now + duration), with
 * now + duration capped at now + the policy maximum. A renewal never shortens a grant (even
 * if the policy has since been tightened: ending early is the expiry timer's or an admin's
 * call, not a side effect of asking for more). A grant that has ended cannot be extended.
 */
export function renewalExtension(
  grant: Pick<RenewableGrant, 'id' | 'status' | 'expiresAt'>,
  request: Pick<AccessRequest, 'duration' | 'durationMs' | 'maxDurationMs'>,
  now: Date,
  maxDurationMs: number | undefined = request.maxDurationMs,
): RenewalExtensionResult {
  const ended = grantEnded(grant, now);
  if (ended) return fail(new ConflictError(`Grant ${grant.id} is no longer active (${ended}); it cannot be extended, make a new request.`, 'GrantNotActive'));
  const current = Date.parse(grant.expiresAt);
  const wanted = requestDurationMs(request);
  const allowed = maxDurationMs === undefined ? wanted : Math.min(wanted, maxDurationMs);
  const proposed = now.getTime() + allowed;
  const expires = Math.max(current, proposed);
  return { ok: true, expiresAt: new Date(expires).toISOString(), extended: expires > current, capped: allowed < wanted };
}
