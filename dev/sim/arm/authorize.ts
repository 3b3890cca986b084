/**
 * Azure RBAC as the simulator enforces it: a caller may perform an action at a scope when
 * one of its assignments (direct or through a group) at or above that scope (management groups
 * included) has a role, built-in or custom, whose actions match and whose notActions do not.
 * The matching assignment is the evidence ARM writes into the event.
 */
import { roleDefinitionGuid, scopeKey } from '../../../shared/domain/armIds';
import { patternMatches } from '../../../shared/domain/suggestions/operations';
import type { Directory } from '../directory';
import type { AssignmentStore, RoleAssignment } from './assignmentStore';
import type { SimRole, SimRoleCatalog } from './roleCatalog';

/** Action wildcards: `*` matches any run of characters (slashes included); comparison ignores case. */
export const actionMatches = patternMatches;

/** A permission block grants the action when one of its actions matches and none of its notActions does; a block under an ABAC condition is not trusted here. */
export function roleAllows(role: Pick<SimRole, 'blocks'>, action: string): boolean {
  return role.blocks.some(
    (b) => b.condition === undefined && b.actions.some((a) => actionMatches(a, action)) && !b.notActions.some((a) => actionMatches(a, action)),
  );
}

export interface Authorization {
  assignment: RoleAssignment;
  role: SimRole;
}

/** What authorisation needs of the tenant: assignments, directory, the roles, and the scope hierarchy. */
export interface RbacView {
  assignments: AssignmentStore;
  directory: Directory;
  roles: Pick<SimRoleCatalog, 'get'>;
  /** Scope keys at and above `scope`, nearest first (resource, group, subscription, management groups, '/'). */
  ancestry(scope: string): string[];
}

/** Every assignment of the principal (or of its groups) that applies at `scope`, with its role: the highest scope first, ties by name. */
export function applyingAssignments(rbac: RbacView, principalId: string, scope: string): Authorization[] {
  const above = rbac.ancestry(scope);
  const depthOf = new Map(above.map((s, i) => [s, above.length - i]));
  const out: Array<Authorization & { depth: number }> = [];
  for (const principal of [principalId, ...rbac.directory.transitiveGroupIdsOf(principalId)]) {
    for (const assignment of rbac.assignments.ofPrincipal(principal)) {
      const depth = depthOf.get(scopeKey(assignment.properties.scope));
      if (depth === undefined) continue;
      const guid = roleDefinitionGuid(assignment.properties.roleDefinitionId);
      const role = guid ? rbac.roles.get(guid) : undefined;
      if (role) out.push({ assignment, role, depth });
    }
  }
  return out.sort((a, b) => a.depth - b.depth || (a.assignment.name < b.assignment.name ? -1 : a.assignment.name > b.assignment.name ? 1 : 0));
}

/**
 * The assignment that authorises `principalId` to perform `action` over `scope`, or
 * undefined. Several may; the one at the highest scope wins (ties by name), so the evidence
 * is stable from run to run.
 */
export function findAuthorization(rbac: RbacView, principalId: string, scope: string, action: string): Authorization | undefined {
  return applyingAssignments(rbac, principalId, scope).find((a) => roleAllows(a.role, action));
}
