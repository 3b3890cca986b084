// At the governed subscription, AccessManager's two roles:
// - Role Based Access Control Administrator, with an ABAC condition on role assignment WRITES.
//   Deletes stay unconstrained on purpose: the enforcer must be able to remove any rogue
//   assignment, Owner included.
// - "AccessManager Guardrails" (custom): read and set storage account and key vault settings back
//   within policy, and read secret metadata; never account keys, never secret values.
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

resource guardrailsRole 'Microsoft.Authorization/roleDefinitions@2022-04-01' = {
  name: guid(subscription().id, 'accessmanager-guardrails')
  properties: {
    roleName: 'AccessManager Guardrails (${subscription().subscriptionId})'
    description: 'Read and correct storage account and key vault settings; read secret metadata. No account keys, no secret values.'
    type: 'CustomRole'
    assignableScopes: [subscription().id]
    permissions: [
      {
        actions: [
          'Microsoft.Storage/storageAccounts/read'
          'Microsoft.Storage/storageAccounts/write'
          'Microsoft.Storage/storageAccounts/privateEndpointConnections/read'
          'Microsoft.KeyVault/vaults/read'
          'Microsoft.KeyVault/vaults/write'
          'Microsoft.KeyVault/vaults/accessPolicies/write'
        ]
        notActions: []
        dataActions: ['Microsoft.KeyVault/vaults/secrets/readMetadata/action']
        notDataActions: []
      }
    ]
  }
}

resource guardrails 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(subscription().id, appPrincipalId, 'accessmanager-guardrails')
  properties: {
    roleDefinitionId: guardrailsRole.id
    principalId: appPrincipalId
    principalType: 'ServicePrincipal'
    description: 'AccessManager keeps storage account and key vault settings within policy (exempt from its own enforcement).'
  }
}

output condition string = appliedCondition
