// At the governed subscription: Role Based Access Control Administrator for AccessManager's
// identity, with an ABAC condition on role assignment WRITES. Deletes stay unconstrained on
// purpose: the enforcer must be able to remove any rogue assignment, Owner included.
//
// The condition comes from the preprovision hook (deploy/rbacCondition.ts), which reads
// policies/*.yaml: with only rigid policies it allows exactly the roles they make requestable;
// a flexible policy accepts exception requests for any role, so then every role except those
// that can themselves assign roles. Re-run `azd provision` after a policy change that adds a role.
targetScope = 'subscription'

param appPrincipalId string
@description('ABAC condition (version 2.0). Empty: the default below.')
param condition string = ''

var rbacAdministrator = 'f58310d9-a9f6-439a-9e8d-f62e7b41a168'
// Without a condition from the hook: no role that can itself assign roles (Owner, User Access
// Administrator, RBAC Administrator), so AccessManager can never make anyone (itself included)
// an owner. The same text as deploy/rbacCondition.ts's denyPrivileged() (a test compares them).
var defaultCondition = '((!(ActionMatches{\'Microsoft.Authorization/roleAssignments/write\'})) OR (@Request[Microsoft.Authorization/roleAssignments:RoleDefinitionId] ForAnyOfAllValues:GuidNotEquals {8e3af657-a8ff-443c-a75c-2fe8c4bcb635, 18d7d88d-d35e-4fb5-a5c3-7773c20a72d9, f58310d9-a9f6-439a-9e8d-f62e7b41a168}))'
var appliedCondition = empty(condition) ? defaultCondition : condition

resource rbacAdmin 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(subscription().id, appPrincipalId, rbacAdministrator)
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', rbacAdministrator)
    principalId: appPrincipalId
    principalType: 'ServicePrincipal'
    description: 'AccessManager grants and revokes time-bound access here (exempt from its own enforcement).'
    condition: appliedCondition
    conditionVersion: '2.0'
  }
}

output condition string = appliedCondition
