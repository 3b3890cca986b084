// Role assignments inside the resource group, each as narrow as its job.
param runtimeAccountName string
param evidenceAccountName string
param anchorContainerName string
param deadLetterContainerName string
param applicationInsightsName string
param cosmosAccountName string
param appPrincipalId string
param eventGridPrincipalId string
@description('Whoever ran azd; empty: no developer roles.')
param developerPrincipalId string = ''

var roles = {
  storageBlobDataOwner: 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b'
  storageBlobDataReader: '2a2b9908-6ea1-4ae2-8e65-a410df84e7d1'
  monitoringMetricsPublisher: '3913510d-42f4-4e42-8a64-420c390055eb'
}
// Cosmos DB Built-in Data Contributor (data plane): read and write items; no container management.
var cosmosDataContributor = '00000000-0000-0000-0000-000000000002'
// Cosmos DB Built-in Data Reader.
var cosmosDataReader = '00000000-0000-0000-0000-000000000001'

resource runtime 'Microsoft.Storage/storageAccounts@2024-01-01' existing = {
  name: runtimeAccountName
}

resource evidence 'Microsoft.Storage/storageAccounts@2024-01-01' existing = {
  name: evidenceAccountName

  resource blobs 'blobServices' existing = {
    name: 'default'

    resource anchors 'containers' existing = {
      name: anchorContainerName
    }

    resource deadLetters 'containers' existing = {
      name: deadLetterContainerName
    }
  }
}

resource insights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: applicationInsightsName
}

resource cosmos 'Microsoft.DocumentDB/databaseAccounts@2024-05-15' existing = {
  name: cosmosAccountName
}

// No built-in role writes blobs without deleting them, hence this one: read, create and append,
// never delete. The containers' retention policies stop overwrites of existing blobs.
resource appendOnly 'Microsoft.Authorization/roleDefinitions@2022-04-01' = {
  name: guid(resourceGroup().id, 'accessmanager-append-only-blobs')
  properties: {
    roleName: 'AccessManager append-only blobs (${resourceGroup().name})'
    description: 'Read, create and append to blobs; never delete. Paired with a time-based retention policy on the container.'
    type: 'CustomRole'
    assignableScopes: [resourceGroup().id]
    permissions: [
      {
        actions: []
        notActions: []
        dataActions: [
          'Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read'
          'Microsoft.Storage/storageAccounts/blobServices/containers/blobs/write'
          'Microsoft.Storage/storageAccounts/blobServices/containers/blobs/add/action'
        ]
        notDataActions: []
      }
    ]
  }
}

// AzureWebJobsStorage (timer leases, host keys) and the deployment package.
resource appRuntimeBlobs 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  scope: runtime
  name: guid(runtime.id, appPrincipalId, roles.storageBlobDataOwner)
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.storageBlobDataOwner)
    principalId: appPrincipalId
    principalType: 'ServicePrincipal'
  }
}

// Audit anchors: the app appends, and can never remove what it appended.
resource appAnchors 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  scope: evidence::blobs::anchors
  name: guid(evidence::blobs::anchors.id, appPrincipalId, appendOnly.id)
  properties: {
    roleDefinitionId: appendOnly.id
    principalId: appPrincipalId
    principalType: 'ServicePrincipal'
  }
}

// Dead letters: the app may read them (to replay), never delete them.
resource appDeadLetters 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  scope: evidence::blobs::deadLetters
  name: guid(evidence::blobs::deadLetters.id, appPrincipalId, roles.storageBlobDataReader)
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.storageBlobDataReader)
    principalId: appPrincipalId
    principalType: 'ServicePrincipal'
  }
}

// Event Grid writes dead letters with its identity (regional topics this deployment creates).
resource eventGridDeadLetters 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  scope: evidence::blobs::deadLetters
  name: guid(evidence::blobs::deadLetters.id, eventGridPrincipalId, appendOnly.id)
  properties: {
    roleDefinitionId: appendOnly.id
    principalId: eventGridPrincipalId
    principalType: 'ServicePrincipal'
  }
}

// Telemetry with Entra auth (Application Insights local auth is off).
resource appMetrics 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  scope: insights
  name: guid(insights.id, appPrincipalId, roles.monitoringMetricsPublisher)
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.monitoringMetricsPublisher)
    principalId: appPrincipalId
    principalType: 'ServicePrincipal'
  }
}

resource appCosmos 'Microsoft.DocumentDB/databaseAccounts/sqlRoleAssignments@2024-11-15' = {
  parent: cosmos
  name: guid(cosmos.id, appPrincipalId, cosmosDataContributor)
  properties: {
    roleDefinitionId: '${cosmos.id}/sqlRoleDefinitions/${cosmosDataContributor}'
    principalId: appPrincipalId
    scope: cosmos.id
  }
}

// The developer who ran azd reads the data while debugging; changes go through AccessManager.
resource developerCosmos 'Microsoft.DocumentDB/databaseAccounts/sqlRoleAssignments@2024-11-15' = if (!empty(developerPrincipalId)) {
  parent: cosmos
  name: guid(cosmos.id, developerPrincipalId, cosmosDataReader)
  properties: {
    roleDefinitionId: '${cosmos.id}/sqlRoleDefinitions/${cosmosDataReader}'
    principalId: developerPrincipalId
    scope: cosmos.id
  }
}
