/**
 * Azure RBAC as the simulator enforces it: a caller may perform an action at a scope when
 * one of its assignments (direct or through a group) at or above that scope has a role whose
 * actions match and whose notActions do not. The matching assignment is the evidence ARM
 * writes into the event.
 */
import { isWithinScope, roleDefinitionGuid, scopeDepth } from '../../../shared/domain/armIds';
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

/**
 * The assignment that authorises `principalId` to perform `action` over `scope`, or
 * undefined. Several may; the one at the highest scope wins (ties by name), so the evidence
 * is stable from run to run.
 */
export function findAuthorization(
  assignments: AssignmentStore,
  directory: Directory,
  roles: SimRoleCatalog,
  principalId: string,
  scope: string,
  action: string,
): Authorization | undefined {
  let best: Authorization | undefined;
  let bestDepth = Number.POSITIVE_INFINITY;
  const principals = [principalId, ...directory.transitiveGroupIdsOf(principalId)];
  for (const principal of principals) {
    for (const assignment of assignments.ofPrincipal(principal)) {
      if (!isWithinScope(scope, assignment.properties.scope)) continue;
      const guid = roleDefinitionGuid(assignment.properties.roleDefinitionId);
      const role = guid ? roles.get(guid) : undefined;
      if (!role || !roleAllows(role, action)) continue;
      const depth = scopeDepth(assignment.properties.scope);
      if (!best || depth < bestDepth || (depth === bestDepth && assignment.name < best.assignment.name)) {
        best = { assignment, role };
        bestDepth = depth;
      }
    }
  }
  return best;
}
