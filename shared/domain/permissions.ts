/**
 * Azure RBAC permissions as ARM evaluates them: an action is allowed when one of the applying
 * role definitions lists it in `actions` (wildcards allowed) and does not list it in that same
 * definition's `notActions`; the applying definitions add up. Used for AccessManager's own
 * permission check and to tell privileged roles from the rest (from their definition, not a name).
 */

import { patternMatches as actionMatches } from './suggestions/operations';

export interface PermissionEntry {
  actions: readonly string[];
  notActions: readonly string[];
  dataActions?: readonly string[];
  notDataActions?: readonly string[];
  /** An ABAC condition: the entry grants only when it holds. */
  condition?: string | null;
}

/** One definition's verdict on a control-plane action, its condition aside. */
function entryAllows(entry: PermissionEntry, action: string): boolean {
  return entry.actions.some((a) => actionMatches(a, action)) && !entry.notActions.some((a) => actionMatches(a, action));
}

/**
 * Whether the applying definitions together surely allow `action`: an entry under a condition
 * is not counted on (it may not hold for the operation at hand).
 */
export function permissionsAllow(entries: readonly PermissionEntry[], action: string): boolean {
  return entries.some((e) => !e.condition && entryAllows(e, action));
}

/**
 * What AccessManager must be able to do at every scope it governs: read assignments to judge
 * them, create them for grants, delete them to revoke.
 */
export const ENFORCER_ACTIONS = [
  'Microsoft.Authorization/roleAssignments/read',
  'Microsoft.Authorization/roleAssignments/write',
  'Microsoft.Authorization/roleAssignments/delete',
] as const;

/** The actions of `required` that `entries` do not allow. */
export function missingActions(entries: readonly PermissionEntry[], required: readonly string[] = ENFORCER_ACTIONS): string[] {
  return required.filter((action) => !permissionsAllow(entries, action));
}

/**
 * Concrete `Microsoft.Authorization/…/write` operations (and elevateAccess): a role that allows
 * any of them can change who has access, or change the rules about it. A wildcard such as `*`,
 * `Microsoft.Authorization/*` or `Microsoft.Authorization/*\/write` matches them all; a
 * `notActions` entry such as Contributor's `Microsoft.Authorization/*\/Write` takes them away.
 */
const PRIVILEGE_PROBES = [
  'Microsoft.Authorization/roleAssignments/write',
  'Microsoft.Authorization/roleDefinitions/write',
  'Microsoft.Authorization/denyAssignments/write',
  'Microsoft.Authorization/roleAssignmentScheduleRequests/write',
  'Microsoft.Authorization/roleEligibilityScheduleRequests/write',
  'Microsoft.Authorization/roleManagementPolicies/write',
  'Microsoft.Authorization/policyAssignments/write',
  'Microsoft.Authorization/policyDefinitions/write',
  'Microsoft.Authorization/policySetDefinitions/write',
  'Microsoft.Authorization/policyExemptions/write',
  'Microsoft.Authorization/locks/write',
  'Microsoft.Authorization/elevateAccess/action',
] as const;

/** Owner, User Access Administrator and Role Based Access Control Administrator, by their fixed GUIDs. */
export const PRIVILEGED_BUILT_IN_GUIDS: ReadonlySet<string> = new Set([
  '8e3af657-a8ff-443c-a75c-2fe8c4bcb635',
  '18d7d88d-d35e-4fb5-a5c3-7773c20a72d9',
  'f58310d9-a9f6-439a-9e8d-f62e7b41a168',
]);

/**
 * A privileged role: one that can grant access or change authorization rules. Judged from the
 * definition's actions (wildcard-aware), so a custom role or a renamed copy of Owner counts too.
 */
export function isPrivilegedRole(role: { guid?: string; permissions: PermissionEntry | readonly PermissionEntry[] }): boolean {
  if (role.guid && PRIVILEGED_BUILT_IN_GUIDS.has(role.guid.toLowerCase())) return true;
  const entries = Array.isArray(role.permissions) ? (role.permissions as readonly PermissionEntry[]) : [role.permissions as PermissionEntry];
  // A condition narrows a privileged role, but it stays one: conditions are not trusted here either.
  return PRIVILEGE_PROBES.some((action) => entries.some((e) => entryAllows(e, action)));
}
