/**
 * The live access view: every role assignment Azure holds at and under a scope, each joined
 * with what justifies it (an approved grant, an exemption) or marked unapproved. The join is a
 * pure function that asks the enforcer's own rule (`decideAssignment`), so the view can never
 * disagree with what enforcement does; the listAccess use case only gathers its inputs.
 */
import { armScopeProblem, isWithinScope, normalizeScope, sameScope, scopeDepth, scopeKey } from '../armIds';
import { decideAssignment, roleLabel, type CoverageView, type ExemptionKind, type PolicyView } from '../enforcement/decide';
import { ValidationError } from '../errors';
import type { CoverageEntry, Grant } from '../grants/grant';
import { findBuiltInRole } from '../roles';
import type { LiveAssignment } from '../roleAssignment';

export type AccessStatus = 'granted' | 'exempt' | 'unapproved' | 'ungoverned';

export interface AccessGrant {
  grantId: string;
  /** Absent only while fulfilment is still writing the grant document (the coverage entry comes first). */
  requestId?: string;
  /** Every request that created or renewed the grant, oldest first. */
  requestIds: string[];
  requester?: { id: string; name: string };
  approvers: { id: string; name: string; at: string }[];
  startsAt?: string;
  expiresAt: string;
  policyId?: string;
}

export interface AccessExemption {
  kind: ExemptionKind;
  reason: string;
  /** The policy that declares the exemption (for AccessManager's own identity: the governing policy, if any). */
  policyId?: string;
}

export interface AccessItem {
  assignmentId: string;
  principalId: string;
  principalType?: string;
  principalName?: string;
  roleDefinitionId: string;
  roleName: string;
  scope: string;
  status: AccessStatus;
  grant?: AccessGrant;
  exemption?: AccessExemption;
  /** The policy governing the assignment's scope, and its mode. */
  policyId?: string;
  mode?: 'enforce' | 'audit';
  /** Why the assignment has this status, in words. */
  reason: string;
}

/** What the view needs of the policies; `PolicySet` of `shared/policy` fits. */
export interface AccessPolicies {
  governing(scope: string): PolicyView | undefined;
  principalExemption(principalId: string, scope: string): ExemptionFound | undefined;
  assignmentExemption(nameOrId: string, scope: string): ExemptionFound | undefined;
}

interface ExemptionFound {
  policy: { id: string };
  exemption: { reason: string };
}

/** What the store holds for an assignment's (principal, role, scope): the coverage entries and the grants they name. */
export interface CoverageLookup {
  entries: readonly CoverageEntry[];
  grants: readonly Grant[];
}

/** Keys `coverage` of `buildAccessView`: one lookup per assignment, by its id compared case-insensitively. */
export function assignmentKey(assignmentId: string): string {
  return scopeKey(assignmentId);
}

/** The assignments at or under `scope` (ARM lists those above too), each once, whatever case the pages used. */
export function assignmentsWithin(assignments: readonly LiveAssignment[], scope: string): LiveAssignment[] {
  const seen = new Set<string>();
  const kept: LiveAssignment[] = [];
  for (const assignment of assignments) {
    const key = assignmentKey(assignment.id);
    if (seen.has(key) || !isWithinScope(assignment.scope, scope)) continue;
    seen.add(key);
    kept.push(assignment);
  }
  return kept;
}

/**
 * Joins each live assignment with its justification. `coverage` maps `assignmentKey(id)` to
 * what the store holds for the assignment's triple (missing = nothing); `principalNames` maps
 * lower-case object ids to display names. Sorted broadest scope first, then scope, role, principal.
 */
export function buildAccessView(
  assignments: readonly LiveAssignment[],
  coverage: ReadonlyMap<string, CoverageLookup>,
  policies: AccessPolicies,
  appPrincipalId: string,
  now: Date,
  principalNames: ReadonlyMap<string, string> = new Map(),
): AccessItem[] {
  const items = assignments.map((assignment) => joinOne(assignment, coverage.get(assignmentKey(assignment.id)), policies, appPrincipalId, now, principalNames));
  return items.sort(
    (a, b) =>
      scopeDepth(a.scope) - scopeDepth(b.scope) ||
      scopeKey(a.scope).localeCompare(scopeKey(b.scope)) ||
      a.roleName.localeCompare(b.roleName) ||
      (a.principalName ?? a.principalId).localeCompare(b.principalName ?? b.principalId) ||
      a.assignmentId.localeCompare(b.assignmentId),
  );
}

function joinOne(
  assignment: LiveAssignment,
  lookup: CoverageLookup | undefined,
  policies: AccessPolicies,
  appPrincipalId: string,
  now: Date,
  principalNames: ReadonlyMap<string, string>,
): AccessItem {
  const policy = policies.governing(assignment.scope);
  const exemption = exemptionOf(policies, assignment);
  const grantsById = new Map((lookup?.grants ?? []).map((g) => [g.id.toLowerCase(), g]));
  const decision = decideAssignment({
    assignment,
    coverage: coverageViews(lookup, grantsById),
    isOwnGrantAssignment: (lookup?.entries ?? []).some((e) => e.grantId.toLowerCase() === assignment.name.toLowerCase()) || [...grantsById.values()].some((g) => sameScope(g.assignmentId, assignment.id)),
    exemption: exemption ? { kind: exemption.kind, reason: exemption.reason } : undefined,
    policy,
    // The view reports each policy's declared mode; a tripped breaker is the breaker's own report.
    appPrincipalId,
    now,
  });

  const isSelf = appPrincipalId.trim() !== '' && assignment.principalId.toLowerCase() === appPrincipalId.toLowerCase();
  const principalName = principalNames.get(assignment.principalId.toLowerCase()) ?? (isSelf ? 'AccessManager' : undefined);
  const base = {
    assignmentId: assignment.id,
    principalId: assignment.principalId,
    ...(assignment.principalType ? { principalType: assignment.principalType } : {}),
    ...(principalName ? { principalName } : {}),
    roleDefinitionId: assignment.roleDefinitionId,
    roleName: findBuiltInRole(assignment.roleDefinitionId)?.roleName ?? roleLabel(assignment.roleDefinitionId),
    scope: assignment.scope,
    ...(policy ? { policyId: policy.id, mode: policy.mode } : {}),
  };

  switch (decision.action) {
    case 'allow':
      return { ...base, status: 'granted', grant: grantInfo(decision.grantId, decision.expiresAt, grantsById.get(decision.grantId.toLowerCase())), reason: decision.detail };
    case 'exempt': {
      const kind = decision.exemptionKind;
      // AccessManager's own identity is exempt by rule; a policy that also declares it supplies the wording.
      const reason = exemption?.reason ?? "AccessManager's own identity: it needs this role to grant and revoke access";
      const policyId = exemption?.policyId ?? policy?.id;
      return { ...base, status: 'exempt', exemption: { kind, reason, ...(policyId ? { policyId } : {}) }, reason: decision.reason };
    }
    case 'revoke':
    case 'wouldRevoke':
      return { ...base, status: 'unapproved', policyId: decision.policyId, mode: decision.mode, reason: decision.violation };
    case 'none':
      return { ...base, status: 'ungoverned', reason: decision.detail };
  }
}

/** Principal first, then the assignment itself: the order `findExemption` of the enforcer uses. */
function exemptionOf(policies: AccessPolicies, assignment: LiveAssignment): AccessExemption | undefined {
  const byPrincipal = policies.principalExemption(assignment.principalId, assignment.scope);
  if (byPrincipal) return { kind: 'principal', reason: byPrincipal.exemption.reason, policyId: byPrincipal.policy.id };
  const byAssignment = policies.assignmentExemption(assignment.id, assignment.scope);
  if (byAssignment) return { kind: 'assignment', reason: byAssignment.exemption.reason, policyId: byAssignment.policy.id };
  return undefined;
}

/**
 * The coverage entries are what the enforcer reads; the grant document, when there is one, adds
 * its status and window, so a grant already ended (its entry not yet removed) justifies nothing.
 */
function coverageViews(lookup: CoverageLookup | undefined, grantsById: ReadonlyMap<string, Grant>): CoverageView[] {
  if (!lookup) return [];
  return lookup.entries.map((entry) => {
    const grant = grantsById.get(entry.grantId.toLowerCase());
    if (!grant) return { grantId: entry.grantId, expiresAt: entry.expiresAt };
    return {
      grantId: entry.grantId,
      expiresAt: entry.expiresAt,
      status: grant.status,
      startsAt: grant.startsAt,
      principalId: grant.principalId,
      roleDefinitionId: grant.roleDefinitionId,
      scope: grant.scope,
    };
  });
}

function grantInfo(grantId: string, expiresAt: string, grant: Grant | undefined): AccessGrant {
  if (!grant) return { grantId, requestIds: [], approvers: [], expiresAt };
  return {
    grantId: grant.id,
    requestId: grant.requestId,
    requestIds: grant.requestIds.length ? grant.requestIds : [grant.requestId],
    requester: grant.requester,
    approvers: grant.approvers,
    startsAt: grant.startsAt,
    expiresAt,
    policyId: grant.policyId,
  };
}

/** The scope the view covers: the one asked for, or the governed subscription. */
export function accessScope(requested: string | undefined, subscriptionId: string): string {
  if (requested === undefined || requested.trim() === '') return `/subscriptions/${subscriptionId}`;
  const scope = normalizeScope(requested.trim());
  // The same strict grammar as request scopes: ARM must list exactly the scope we filter by.
  const problem = armScopeProblem(requested.trim());
  if (problem) {
    throw new ValidationError(`scope must be an ARM scope such as /subscriptions/${subscriptionId}/resourceGroups/<name>: ${problem} (got ${JSON.stringify(requested.slice(0, 200))}).`, 'InvalidScope');
  }
  return scope;
}
