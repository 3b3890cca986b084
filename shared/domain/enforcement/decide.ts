/**
 * THE rule that decides whether a role assignment stays or is revoked, and what an assignment
 * that vanished means for the grants it backed. Pure functions of (assignment, grants,
 * exemption, policy, breaker, clock): the handlers do the I/O and act on the Decision.
 *
 * Fail safe, in this order: what is gone needs nothing; AccessManager's own identity and
 * exempt principals/assignments are never revoked, whatever the policy says; an active,
 * unexpired grant for the exact (principal, role, scope) allows; nothing outside every policy's
 * scope is ever revoked; audit mode and a tripped breaker only record "would revoke".
 */
import { isWithinScope, roleDefinitionGuid, scopeKey } from '../armIds';
import { findBuiltInRole } from '../roles';
import type { LiveAssignment } from '../roleAssignment';

/** The governing policy as the rule needs it; `Policy` of `shared/policy` fits. */
export interface PolicyView {
  id: string;
  mode: 'enforce' | 'audit';
  /** The scope whose subtree the policy governs. */
  scope: string;
}

/** A live role assignment as the rule needs it, read back from ARM (never from the event). */
export type AssignmentView = Pick<LiveAssignment, 'id' | 'name' | 'scope' | 'principalId' | 'principalType' | 'roleDefinitionId'>;

/**
 * One grant found for the assignment's (principal, role, exact scope): a coverage entry
 * (`grantId`, `expiresAt`) or more. Optional fields are checked when present, so a grant for
 * another triple handed in by mistake never allows anything.
 */
export interface CoverageView {
  grantId: string;
  expiresAt: string;
  /** Absent on coverage entries, which only list grants in force; otherwise must be `active`. */
  status?: string;
  startsAt?: string;
  principalId?: string;
  roleDefinitionId?: string;
  scope?: string;
}

export type ExemptionKind = 'principal' | 'assignment' | 'self';

export interface ExemptionView {
  reason: string;
  kind: ExemptionKind;
}

export interface AssignmentDecisionInput {
  assignment: AssignmentView;
  coverage: readonly CoverageView[];
  /** AccessManager created this assignment for a grant (its coverage names it): said in the violation. */
  isOwnGrantAssignment: boolean;
  exemption: ExemptionView | undefined;
  /** The most specific policy governing the assignment's scope (or the scope it is inherited into); undefined when none does. */
  policy: PolicyView | undefined;
  /**
   * Set when the assignment sits above every policy that governs where it applies (e.g. at a
   * management group, or above the listed scope): the governed scope it reaches into, whose
   * policy judges it as if it were there. An inherited Owner is an Owner all the same.
   */
  inheritedInto?: string;
  /** Scope containment (management groups included); default: by path. */
  contains?: (outer: string, inner: string) => boolean;
  appPrincipalId: string;
  now: Date;
}

export type Decision =
  | { action: 'none'; reason: 'gone' | 'notGoverned'; detail: string }
  | { action: 'allow'; reason: 'grant'; grantId: string; expiresAt: string; detail: string }
  | { action: 'exempt'; reason: string; exemptionKind: ExemptionKind; policyId?: string }
  | { action: 'revoke'; reason: string; violation: string; policyId: string; mode: 'enforce' }
  | { action: 'wouldRevoke'; reason: string; violation: string; policyId: string; mode: 'audit'; breaker?: boolean };

/** "Storage Blob Data Reader", or the role's GUID when it is not a built-in role we know. */
export function roleLabel(roleDefinitionId: string): string {
  const builtIn = findBuiltInRole(roleDefinitionId);
  if (builtIn) return builtIn.roleName;
  return `role ${roleDefinitionGuid(roleDefinitionId) ?? roleDefinitionId}`;
}

function principalLabel(assignment: AssignmentView): string {
  const type = assignment.principalType?.trim();
  return `${type ? type.toLowerCase() : 'principal'} ${assignment.principalId}`;
}

function sameText(a: string | undefined, b: string | undefined): boolean {
  return a !== undefined && b !== undefined && a.toLowerCase() === b.toLowerCase();
}

function sameRole(a: string, b: string): boolean {
  const ga = roleDefinitionGuid(a);
  const gb = roleDefinitionGuid(b);
  return ga !== undefined && gb !== undefined ? ga === gb : scopeKey(a) === scopeKey(b);
}

interface CoverageVerdict {
  /** The active grant that lasts longest, when any covers. */
  covering: CoverageView | undefined;
  /** The most recently expired grant for the triple, for the explanation. */
  lastExpired: CoverageView | undefined;
}

/** Which grants cover the assignment at `now`: active, started, unexpired, for its exact triple. */
function evaluateCoverage(assignment: AssignmentView, coverage: readonly CoverageView[], now: Date): CoverageVerdict {
  let covering: CoverageView | undefined;
  let lastExpired: CoverageView | undefined;
  for (const grant of coverage) {
    if (grant.principalId !== undefined && !sameText(grant.principalId, assignment.principalId)) continue;
    if (grant.roleDefinitionId !== undefined && !sameRole(grant.roleDefinitionId, assignment.roleDefinitionId)) continue;
    if (grant.scope !== undefined && scopeKey(grant.scope) !== scopeKey(assignment.scope)) continue;
    if (grant.status !== undefined && grant.status.toLowerCase() !== 'active') continue;
    const expiresAt = Date.parse(grant.expiresAt);
    // An unreadable expiry covers nothing: never let bad data keep access alive.
    if (Number.isNaN(expiresAt)) continue;
    if (expiresAt <= now.getTime()) {
      if (!lastExpired || expiresAt > Date.parse(lastExpired.expiresAt)) lastExpired = grant;
      continue;
    }
    if (grant.startsAt !== undefined) {
      const startsAt = Date.parse(grant.startsAt);
      if (Number.isNaN(startsAt) || startsAt > now.getTime()) continue;
    }
    if (!covering || expiresAt > Date.parse(covering.expiresAt)) covering = grant;
  }
  return { covering, lastExpired };
}

/** An assignment ARM no longer has: nothing to judge, nothing to revoke. */
export function goneDecision(): Decision {
  return { action: 'none', reason: 'gone', detail: 'the assignment no longer exists in Azure: nothing to revoke' };
}

function isOwnIdentity(assignment: AssignmentView, appPrincipalId: string): boolean {
  return appPrincipalId.trim() !== '' && sameText(assignment.principalId, appPrincipalId);
}

/**
 * Whether the decision depends on grants: false for AccessManager's own identity, exempt
 * assignments and scopes no policy governs, whose decision needs no store read.
 */
export function needsCoverage(input: Pick<AssignmentDecisionInput, 'assignment' | 'exemption' | 'policy' | 'appPrincipalId'>): boolean {
  return !isOwnIdentity(input.assignment, input.appPrincipalId) && !input.exemption && input.policy !== undefined;
}

/**
 * Decides one live assignment. See the module comment for the order of the rules; a revoke
 * from here must still pass the breaker (`BreakerRepository.count`, then `applyBreakerOutcome`).
 */
export function decideAssignment(input: AssignmentDecisionInput): Decision {
  const { assignment, policy, now } = input;
  const role = roleLabel(assignment.roleDefinitionId);
  const who = principalLabel(assignment);
  const policyId = policy ? { policyId: policy.id } : {};

  if (isOwnIdentity(assignment, input.appPrincipalId)) {
    return {
      action: 'exempt',
      reason: `${role} of AccessManager's own identity ${assignment.principalId} is never revoked: AccessManager needs it to grant and revoke access`,
      exemptionKind: 'self',
      ...policyId,
    };
  }
  if (input.exemption) {
    const subject = input.exemption.kind === 'assignment' ? `assignment ${assignment.name}` : who;
    return { action: 'exempt', reason: `${subject} is exempt: ${input.exemption.reason}`, exemptionKind: input.exemption.kind, ...policyId };
  }

  const { covering, lastExpired } = evaluateCoverage(assignment, input.coverage, now);
  if (covering) {
    return {
      action: 'allow',
      reason: 'grant',
      grantId: covering.grantId,
      expiresAt: covering.expiresAt,
      detail: `grant ${covering.grantId} covers ${role} for ${who} at ${assignment.scope} until ${covering.expiresAt}`,
    };
  }

  const contains = input.contains ?? ((outer: string, inner: string) => isWithinScope(inner, outer));
  if (!policy || !contains(policy.scope, input.inheritedInto ?? assignment.scope)) {
    return {
      action: 'none',
      reason: 'notGoverned',
      detail: `no policy governs ${assignment.scope}: AccessManager never revokes outside the scopes its policies govern`,
    };
  }

  let violation = `no approved grant covers ${role} for ${who} at ${assignment.scope}`;
  if (input.inheritedInto) violation = `${violation}, inherited into ${input.inheritedInto}`;
  if (lastExpired) violation = `grant ${lastExpired.grantId} for ${role} for ${who} at ${assignment.scope} expired at ${lastExpired.expiresAt} and no other approved grant covers it`;
  if (input.isOwnGrantAssignment) violation = `AccessManager created this assignment for a grant, but ${violation}`;

  // Anything but an explicit `enforce` is treated as audit: an unknown mode must not revoke.
  if (policy.mode !== 'enforce') {
    return { action: 'wouldRevoke', reason: `${violation} (policy ${policy.id} is audit-only: recorded, not revoked)`, violation, policyId: policy.id, mode: 'audit' };
  }
  return { action: 'revoke', reason: `${violation} (policy ${policy.id})`, violation, policyId: policy.id, mode: 'enforce' };
}

function breakerDecision(violation: string, policyId: string): Decision {
  return {
    action: 'wouldRevoke',
    reason: `${violation} (policy ${policyId}: the blast-radius breaker has tripped, so this is recorded, not revoked, until an admin resets it)`,
    violation,
    policyId,
    mode: 'audit',
    breaker: true,
  };
}

/**
 * Applies the breaker's answer for a revocation (`recordRevocation(...).allowed`): a revoke the
 * breaker refused becomes "would revoke"; every other decision passes unchanged.
 */
export function applyBreakerOutcome(decision: Decision, outcome: { allowed: boolean }): Decision {
  if (decision.action !== 'revoke' || outcome.allowed) return decision;
  return breakerDecision(decision.violation, decision.policyId);
}

// ---------------------------------------------------------------------------------------------
// Deleted assignments.

/** A grant as the delete rule needs it; `Grant` of `shared/grants` fits. */
export interface BackingGrantView {
  id: string;
  assignmentId: string;
  status: string;
  expiresAt: string;
}

export interface DeletedAssignmentInput {
  assignmentId: string;
  grantsBackedByIt: readonly BackingGrantView[];
  /** The delete's caller is AccessManager's own identity (its expiry or revoke did it). */
  deletedByApp: boolean;
  now: Date;
}

export type DeletedAssignmentDecision =
  | { action: 'endGrants'; grantIds: string[]; reason: string }
  | { action: 'none'; reason: string };

/**
 * A delete done outside AccessManager of an assignment that backs active grants ends those
 * grants (`grant.endedExternally`). Our own deletes come back as events and change nothing;
 * grants already past expiry are left to the expiry timer, which records them as expired.
 */
export function decideDeletedAssignment(input: DeletedAssignmentInput): DeletedAssignmentDecision {
  if (input.deletedByApp) {
    return { action: 'none', reason: 'AccessManager deleted this assignment itself; the grant flow that did it has already recorded why' };
  }
  const key = scopeKey(input.assignmentId);
  const ended = input.grantsBackedByIt.filter((grant) => {
    if (scopeKey(grant.assignmentId) !== key || grant.status.toLowerCase() !== 'active') return false;
    const expiresAt = Date.parse(grant.expiresAt);
    return Number.isNaN(expiresAt) || expiresAt > input.now.getTime();
  });
  if (ended.length === 0) {
    return { action: 'none', reason: `no active grant is backed by ${input.assignmentId}` };
  }
  return {
    action: 'endGrants',
    grantIds: ended.map((g) => g.id),
    reason: `role assignment ${input.assignmentId} was deleted outside AccessManager, so the access it carried has ended`,
  };
}

// ---------------------------------------------------------------------------------------------
// Reconcile.

/** A grant as reconcile needs it; `Grant` of `shared/grants` fits. */
export interface ReconcileGrantView extends BackingGrantView {
  principalId: string;
  roleDefinitionId: string;
  scope: string;
  startsAt: string;
}

/** What reconcile needs of the policies; `PolicySet` of `shared/policy` fits. */
export interface PolicyLookup {
  governing(scope: string): PolicyView | undefined;
  principalExemption(principalId: string, scope: string): { exemption: { reason: string } } | undefined;
  assignmentExemption(nameOrId: string, scope: string): { exemption: { reason: string } } | undefined;
}

/** The exemption covering an assignment: by its principal first, then by the assignment itself. */
export function findExemption(policies: Pick<PolicyLookup, 'principalExemption' | 'assignmentExemption'>, assignment: AssignmentView): ExemptionView | undefined {
  const byPrincipal = policies.principalExemption(assignment.principalId, assignment.scope);
  if (byPrincipal) return { reason: byPrincipal.exemption.reason, kind: 'principal' };
  const byAssignment = policies.assignmentExemption(assignment.id, assignment.scope);
  if (byAssignment) return { reason: byAssignment.exemption.reason, kind: 'assignment' };
  return undefined;
}

/** The (principal, role, scope) an assignment or grant is about, compared case-insensitively. */
export function tripleKey(principalId: string, roleDefinitionId: string, scope: string): string {
  return `${principalId.toLowerCase()}|${roleDefinitionGuid(roleDefinitionId) ?? scopeKey(roleDefinitionId)}|${scopeKey(scope)}`;
}

export interface ReconcileInput {
  /** AccessManager's grants; those not `active` are ignored. */
  grants: readonly ReconcileGrantView[];
  /** Every role assignment the listing saw under the listed scopes. */
  live: readonly Pick<AssignmentView, 'id' | 'principalId' | 'roleDefinitionId' | 'scope'>[];
  /** The scopes listed: grants outside them are not judged. */
  listedScopes: readonly string[];
  /** When the listing started: a grant started later may be missing from it without having vanished. */
  listedAt: Date;
  now: Date;
  /** Scope containment (management groups included); default: by path. */
  contains?: (outer: string, inner: string) => boolean;
}

export interface ReconcileResult {
  /** Active grants whose assignment is no longer in Azure: end them as `endedExternally` (once ARM confirms). */
  endedExternally: { grantId: string; assignmentId: string; reason: string }[];
  /**
   * Live assignments of those grants' (principal, role, scope) under another id: re-created
   * outside AccessManager after the delete. Judge them again once the grants ended, so the
   * coverage of an ended grant never keeps them.
   */
  rejudge: string[];
}

/**
 * What reconcile decides beyond each assignment (every live assignment is judged by
 * `decideAssignment`, exactly as on the event path): the grants whose access vanished.
 *
 * A grant is tied to the assignment that carries it, not to its triple: when that assignment is
 * gone, the grant has ended, even if the same (principal, role, scope) is held again through an
 * assignment someone re-created outside AccessManager. That is what the event path does (the
 * delete event ends the grant before any re-creation is seen), and a re-created assignment is a
 * new, unapproved one. Grants already past expiry are left to the expiry timer, as on the event
 * path, so they are recorded as `grant.expired`, not as ended externally.
 */
export function decideReconcile(input: ReconcileInput): ReconcileResult {
  const liveIds = new Set<string>();
  const liveByTriple = new Map<string, string[]>();
  for (const a of input.live) {
    liveIds.add(scopeKey(a.id));
    const triple = tripleKey(a.principalId, a.roleDefinitionId, a.scope);
    liveByTriple.set(triple, [...(liveByTriple.get(triple) ?? []), a.id]);
  }
  const endedExternally: ReconcileResult['endedExternally'] = [];
  const rejudge = new Set<string>();
  for (const grant of input.grants) {
    const contains = input.contains ?? ((outer: string, inner: string) => isWithinScope(inner, outer));
    if (grant.status.toLowerCase() !== 'active' || !input.listedScopes.some((s) => contains(s, grant.scope))) continue;
    const startsAt = Date.parse(grant.startsAt);
    const expiresAt = Date.parse(grant.expiresAt);
    // Unreadable times, grants newer than the listing and grants past expiry (the expiry
    // timer's job) are not judged here.
    if (Number.isNaN(startsAt) || startsAt >= input.listedAt.getTime()) continue;
    if (Number.isNaN(expiresAt) || expiresAt <= input.now.getTime()) continue;
    if (liveIds.has(scopeKey(grant.assignmentId))) continue;
    endedExternally.push({
      grantId: grant.id,
      assignmentId: grant.assignmentId,
      reason: `role assignment ${grant.assignmentId} is no longer in Azure: it was removed outside AccessManager`,
    });
    for (const id of liveByTriple.get(tripleKey(grant.principalId, grant.roleDefinitionId, grant.scope)) ?? []) rejudge.add(id);
  }
  return { endedExternally, rejudge: [...rejudge] };
}
