// Deployed at the governed subscription: the one role AccessManager needs there.
// Role Based Access Control Administrator lets it create and delete role assignments and
// read everything, without Owner's power over the resources themselves.
targetScope = 'subscription'

@description('Object id of AccessManager\'s managed identity (output principalId of main.bicep).')
param principalId string

resource rbacAdmin 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(subscription().id, principalId, 'accessmanager-rbac-admin')
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', 'f58310d9-a9f6-439a-9e8d-f62e7b41a168')
    principalId: principalId
    principalType: 'ServicePrincipal'
    description: 'AccessManager grants and revokes time-bound access here. Exempt from enforcement.'
  }
}
