/**
 * The azd preprovision hook's look at the policies (`node dist/deploy/rbacCondition.js`): they
 * must govern the subscription being deployed for (the shipped ones govern the local simulator's,
 * and a deployment that enforced those would enforce nothing), and they decide the ABAC
 * condition on AccessManager's Role Based Access Control Administrator assignment.
 *
 * Writes are constrained, deletes never: the enforcer must be able to remove any rogue
 * assignment, Owner included. With only rigid policies AccessManager may assign exactly the roles
 * they make requestable; a flexible policy turns any other role into an exception request, so
 * then it may assign every role except those that can themselves assign roles (without that, a
 * compromised AccessManager could make anyone, itself included, an owner). Syntax and both
 * shapes follow Microsoft's "Examples to delegate Azure role assignment management with conditions".
 */
import { loadPolicies } from '../shared/adapters/policyFiles';
import type { Policy } from '../shared/domain/policy';
import { azdEnvSet } from './azureCli';
import { deploymentScopes, policiesOutside, readDescendants } from './governedScopes';

/** Built-in roles that can create role assignments: Owner, User Access Administrator, RBAC Administrator. */
export const ROLE_ASSIGNING_ROLES = ['8e3af657-a8ff-443c-a75c-2fe8c4bcb635', '18d7d88d-d35e-4fb5-a5c3-7773c20a72d9', 'f58310d9-a9f6-439a-9e8d-f62e7b41a168'] as const;

const WRITE = "ActionMatches{'Microsoft.Authorization/roleAssignments/write'}";
const ROLE = '@Request[Microsoft.Authorization/roleAssignments:RoleDefinitionId]';
const NO_ROLE = '00000000-0000-0000-0000-000000000000';

export type AssignableRoles = { kind: 'only'; roleIds: string[] } | { kind: 'allExceptRoleAssigning' };

/** What AccessManager must be able to assign under these policies. */
export function assignableRoles(policies: readonly Policy[]): AssignableRoles {
  if (policies.some((p) => p.kind === 'flexible')) return { kind: 'allExceptRoleAssigning' };
  const roleIds = [...new Set(policies.flatMap((p) => p.roles.map((r) => r.roleDefinitionGuid.toLowerCase())))].sort();
  return { kind: 'only', roleIds };
}

/** The default when no policy says otherwise (infra/app/governance.bicep carries the same text). */
export function denyRoleAssigningRoles(): string {
  return `((!(${WRITE})) OR (${ROLE} ForAnyOfAllValues:GuidNotEquals {${ROLE_ASSIGNING_ROLES.join(', ')}}))`;
}

/** The condition text (conditionVersion 2.0) for the roles AccessManager may assign. */
export function rbacCondition(assignable: AssignableRoles): string {
  if (assignable.kind === 'allExceptRoleAssigning') return denyRoleAssigningRoles();
  // Nothing requestable: an allow-list no role definition matches, so no write at all (deletes stay allowed).
  const roleIds = assignable.roleIds.length > 0 ? assignable.roleIds : [NO_ROLE];
  return `((!(${WRITE})) OR (${ROLE} ForAnyOfAnyValues:GuidEquals {${roleIds.join(', ')}}))`;
}

/** Requestable roles that can themselves assign roles: worth a warning, since a grant of one hands out that power. */
export function roleAssigningRequestable(assignable: AssignableRoles): string[] {
  return assignable.kind === 'only' ? assignable.roleIds.filter((id) => (ROLE_ASSIGNING_ROLES as readonly string[]).includes(id)) : [];
}

async function main(): Promise<void> {
  const dir = process.argv.slice(2).find((a) => !a.startsWith('--')) ?? 'policies';
  const policies = (await loadPolicies(dir)).policies;
  const deploymentSubscription = process.env.AZURE_SUBSCRIPTION_ID;
  const printOnly = process.argv.includes('--print');
  if (deploymentSubscription) {
    const scopes = deploymentScopes(process.env, deploymentSubscription, readDescendants);
    const outside = policiesOutside(policies, scopes);
    if (outside.length > 0) {
      const first = scopes.subscriptions[0];
      throw new Error(
        `${outside.map((p) => `${p.id} (${p.scope})`).join(', ')} ${outside.length === 1 ? 'governs' : 'govern'} a scope outside the governed ones (subscriptions ${scopes.subscriptions.join(', ')}${scopes.governed.managementGroups.size > 0 ? `; management groups ${[...scopes.governed.managementGroups].join(', ')}` : ''}). ` +
          `The shipped policies describe the local simulator's tenant: write your own with \`npm run cli -- policies init --subscription ${first} --approver-group <group id> --force\`, review and commit them, then azd up again (README, Running in Azure).`,
      );
    }
    // infra/main.bicep gives AccessManager its roles in each of these subscriptions.
    if (!printOnly) azdEnvSet('ACCESSMANAGER_GOVERNED_SUBSCRIPTIONS', scopes.subscriptions.join(','));
  }
  const assignable = assignableRoles(policies);
  const condition = rbacCondition(assignable);
  for (const id of roleAssigningRequestable(assignable)) console.warn(`Warning: the policies make role ${id} requestable, and it can itself assign roles.`);
  console.log(
    assignable.kind === 'only'
      ? `AccessManager may assign ${assignable.roleIds.length} role(s), those ${dir}/*.yaml make requestable (and delete any assignment).`
      : `A flexible policy accepts exception requests for any role: AccessManager may assign every role except Owner, User Access Administrator and RBAC Administrator (and delete any assignment).`,
  );
  if (printOnly) console.log(condition);
  else azdEnvSet('ACCESSMANAGER_RBAC_CONDITION', condition);
}

if (require.main === module) {
  main().catch((err: unknown) => {
    console.error(`preprovision (RBAC condition): ${err instanceof Error ? err.message : String(err)}`);
    process.exitCode = 1;
  });
}
