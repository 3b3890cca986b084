// Deployed at the governed subscription: the roles AccessManager needs there.
// Role Based Access Control Administrator lets it create and delete role assignments and
// read everything, without Owner's power over the resources themselves. The custom role
// "AccessManager Guardrails" lets it set storage account and key vault settings back and read
// secret metadata (never values, never account keys).
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

resource guardrailsRole 'Microsoft.Authorization/roleDefinitions@2022-04-01' = {
  name: guid(subscription().id, 'accessmanager-guardrails')
  properties: {
    roleName: 'AccessManager Guardrails (${subscription().subscriptionId})'
    description: 'Read and correct storage account and key vault settings; read secret metadata. No account keys, no secret values.'
    type: 'CustomRole'
    assignableScopes: [ subscription().id ]
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
        dataActions: [ 'Microsoft.KeyVault/vaults/secrets/readMetadata/action' ]
        notDataActions: []
      }
    ]
  }
}

resource guardrails 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(subscription().id, principalId, 'accessmanager-guardrails')
  properties: {
    roleDefinitionId: guardrailsRole.id
    principalId: principalId
    principalType: 'ServicePrincipal'
    description: 'AccessManager keeps storage account and key vault settings within policy. Exempt from enforcement.'
  }
}

