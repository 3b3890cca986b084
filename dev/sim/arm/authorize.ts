/**
 * Azure RBAC as the simulator enforces it: a caller may perform an action at a scope when
 * one of its assignments (direct or through a group) at or above that scope has a role whose
 * actions match and whose notActions do not. The matching assignment is the evidence ARM
 * writes into the event.
 */
import { isWithinScope, roleDefinitionGuid, scopeDepth } from '../../../shared/domain/armIds';
import { builtInRoleByGuid, type BuiltInRole } from '../../../shared/domain/roles';
import type { Directory } from '../directory';
import type { AssignmentStore, RoleAssignment } from './assignmentStore';

const patterns = new Map<string, RegExp>();

/** Action wildcards: `*` matches any run of characters (slashes included); comparison ignores case. */
export function actionMatches(pattern: string, action: string): boolean {
  let re = patterns.get(pattern);
  if (!re) {
    const source = pattern
      .split('*')
      .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
      .join('.*');
    re = new RegExp(`^${source}$`, 'i');
    patterns.set(pattern, re);
  }
  return re.test(action);
}

export function roleAllows(role: BuiltInRole, action: string): boolean {
  const p = role.permissions;
  return p.actions.some((a) => actionMatches(a, action)) && !p.notActions.some((a) => actionMatches(a, action));
}

export interface Authorization {
  assignment: RoleAssignment;
  role: BuiltInRole;
}

/**
 * The assignment that authorises `principalId` to perform `action` over `scope`, or
 * undefined. Several may; the one at the highest scope wins (ties by name), so the evidence
 * is stable from run to run.
 */
export function findAuthorization(
  assignments: AssignmentStore,
  directory: Directory,
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
      const role = guid ? builtInRoleByGuid(guid) : undefined;
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
