// AccessManager: the whole deployment. Function App (Node 20, Functions v4) with a
// system-assigned managed identity, Cosmos DB (serverless, RBAC only), Event Grid system
// topics with retry and dead-letter, Key Vault for the bot secret, Bot registration for
// Teams, and the role assignments AccessManager needs to do its job (and nothing more).
targetScope = 'resourceGroup'

@description('Name prefix for every resource.')
param prefix string = 'accessmgr'

param location string = resourceGroup().location

@description('Subscription AccessManager governs (its role assignments are enforced).')
param governedSubscriptionId string = subscription().subscriptionId

@description('Key Vaults whose events AccessManager should receive (resource ids).')
param keyVaultIds array = []

@description('Storage accounts whose events AccessManager should receive (resource ids).')
param storageAccountIds array = []

@description('Microsoft App id of the Teams bot (an Entra app registration). Empty: no bot.')
param botAppId string = ''

@description('Azure OpenAI endpoint whose model reads free-text needs for role suggestions (empty: suggestions from operations only). Give the app identity Cognitive Services OpenAI User on that account.')
param openAiEndpoint string = ''

@description('Chat model deployment on openAiEndpoint (structured outputs).')
param openAiDeployment string = ''

@description('Object ids of break-glass accounts (comma-separated): never revoked at any scope.')
param breakGlassPrincipalIds string = ''

@description('Entra app registration used by App Service authentication (Easy Auth).')
param authClientId string

var tenantId = subscription().tenantId
var suffix = uniqueString(resourceGroup().id)

resource storage 'Microsoft.Storage/storageAccounts@2023-05-01' = {
  name: take('${prefix}${suffix}', 24)
  location: location
  sku: { name: 'Standard_LRS' }
  kind: 'StorageV2'
  properties: {
    minimumTlsVersion: 'TLS1_2'
    allowBlobPublicAccess: false
    allowSharedKeyAccess: false
    supportsHttpsTrafficOnly: true
  }
}

resource deadLetters 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01' = {
  name: '${storage.name}/default/eventgrid-deadletter'
}

@description('Days an audit anchor blob cannot be changed or deleted (time-based retention; appends stay allowed).')
param anchorRetentionDays int = 365

// Audit anchors outside Cosmos: append blobs under a time-based retention policy that allows
// protected append writes, so the Cosmos writer cannot rewrite them. Lock the policy once it is
// right (README, Audit ledger): a locked policy cannot be shortened or removed, by anyone.
resource anchorStorage 'Microsoft.Storage/storageAccounts@2023-05-01' = {
  name: take('${prefix}anc${suffix}', 24)
  location: location
  sku: { name: 'Standard_ZRS' }
  kind: 'StorageV2'
  properties: {
    minimumTlsVersion: 'TLS1_2'
    allowBlobPublicAccess: false
    allowSharedKeyAccess: false
    supportsHttpsTrafficOnly: true
  }
}

resource anchorContainer 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01' = {
  name: '${anchorStorage.name}/default/audit-anchors'
}

resource anchorRetention 'Microsoft.Storage/storageAccounts/blobServices/containers/immutabilityPolicies@2023-05-01' = {
  parent: anchorContainer
  name: 'default'
  properties: {
    immutabilityPeriodSinceCreationInDays: anchorRetentionDays
    allowProtectedAppendWritesAll: true
  }
}

resource cosmos 'Microsoft.DocumentDB/databaseAccounts@2024-05-15' = {
  name: '${prefix}-cosmos-${suffix}'
  location: location
  kind: 'GlobalDocumentDB'
  properties: {
    databaseAccountOfferType: 'Standard'
    disableLocalAuth: true // managed identity only: no keys to leak
    locations: [ { locationName: location, failoverPriority: 0 } ]
    consistencyPolicy: { defaultConsistencyLevel: 'Session' }
    capabilities: [ { name: 'EnableServerless' } ]
    backupPolicy: { type: 'Continuous', continuousModeProperties: { tier: 'Continuous30Days' } }
  }
}

resource database 'Microsoft.DocumentDB/databaseAccounts/sqlDatabases@2024-05-15' = {
  parent: cosmos
  name: 'accessmanager'
  properties: { resource: { id: 'accessmanager' } }
}

var containers = [
  { name: 'requests', pk: '/id' }
  { name: 'grants', pk: '/id' }
  { name: 'coverage', pk: '/id' }
  { name: 'audit', pk: '/chainId' }
  { name: 'state', pk: '/id' }
]

resource cosmosContainers 'Microsoft.DocumentDB/databaseAccounts/sqlDatabases/containers@2024-05-15' = [for c in containers: {
  parent: database
  name: c.name
  properties: {
    resource: {
      id: c.name
      partitionKey: { paths: [ c.pk ], kind: 'Hash' }
      indexingPolicy: {
        indexingMode: 'consistent'
        includedPaths: [ { path: '/*' } ]
        excludedPaths: [ { path: '/justification/?' }, { path: '/details/*' }, { path: '/"_etag"/?' } ]
      }
    }
  }
}]

resource plan 'Microsoft.Web/serverfarms@2023-12-01' = {
  name: '${prefix}-plan-${suffix}'
  location: location
  sku: { name: 'EP1', tier: 'ElasticPremium' } // premium: no cold start on the enforcement path
  kind: 'elastic'
  properties: { reserved: true }
}

resource insights 'Microsoft.Insights/components@2020-02-02' = {
  name: '${prefix}-ai-${suffix}'
  location: location
  kind: 'web'
  properties: { Application_Type: 'web' }
}

resource app 'Microsoft.Web/sites@2023-12-01' = {
  name: '${prefix}-func-${suffix}'
  location: location
  kind: 'functionapp,linux'
  identity: { type: 'SystemAssigned' }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    siteConfig: {
      linuxFxVersion: 'Node|20'
      minTlsVersion: '1.2'
      ftpsState: 'Disabled'
    }
  }
}

// App settings as one resource: the identity's principal id exists only once the site does.
resource appSettings 'Microsoft.Web/sites/config@2023-12-01' = {
  parent: app
  name: 'appsettings'
  properties: {
    FUNCTIONS_EXTENSION_VERSION: '~4'
    FUNCTIONS_WORKER_RUNTIME: 'node'
    AzureWebJobsStorage__accountName: storage.name
    APPLICATIONINSIGHTS_CONNECTION_STRING: insights.properties.ConnectionString
    ACCESSMANAGER_ENV: 'azure'
    AZURE_TENANT_ID: tenantId
    AZURE_SUBSCRIPTION_ID: governedSubscriptionId
    ACCESSMANAGER_PRINCIPAL_ID: app.identity.principalId
    BREAKGLASS_PRINCIPAL_IDS: breakGlassPrincipalIds
    COSMOS_ENDPOINT: cosmos.properties.documentEndpoint
    COSMOS_DATABASE: 'accessmanager'
    BOT_APP_ID: botAppId
    AZURE_OPENAI_ENDPOINT: openAiEndpoint
    AZURE_OPENAI_DEPLOYMENT: openAiDeployment
    PUBLIC_BASE_URL: 'https://${app.properties.defaultHostName}'
    AUDIT_ANCHOR_CONTAINER_URL: '${anchorStorage.properties.primaryEndpoints.blob}audit-anchors'
    // The portal is served at /: the host's own home page must not answer there.
    AzureWebJobsDisableHomepage: 'true'
  }
}

// App Service authentication: every call that carries a session or a token arrives with a verified
// Entra identity (client-sent principal headers are stripped). Its unauthenticated action is global,
// so it lets anonymous requests through: the API answers 401 without an identity, and the portal's
// pages send the browser to /.auth/login/aad themselves (they hold no data before sign-in).
resource auth 'Microsoft.Web/sites/config@2023-12-01' = {
  parent: app
  name: 'authsettingsV2'
  properties: {
    globalValidation: {
      requireAuthentication: false
      unauthenticatedClientAction: 'AllowAnonymous'
      // Event Grid and the Bot Framework authenticate differently (webhook key, Bot Framework JWT).
      excludedPaths: [ '/runtime/webhooks/eventgrid', '/runtime/webhooks/EventGrid', '/api/messages', '/api/health' ]
    }
    identityProviders: {
      azureActiveDirectory: {
        enabled: true
        registration: {
          clientId: authClientId
          openIdIssuer: 'https://sts.windows.net/${tenantId}/v2.0'
        }
        // v1 tokens name the app by its application id URI, v2 tokens by its client id (the CLI may get either).
        validation: { allowedAudiences: [ 'api://${authClientId}', authClientId ] }
      }
    }
    // /.auth/me (the portal's "who am I") needs the token store.
    login: { tokenStore: { enabled: true } }
    platform: { enabled: true }
  }
}

// Cosmos data-plane role "Built-in Data Contributor" for the app's identity.
resource cosmosDataContributor 'Microsoft.DocumentDB/databaseAccounts/sqlRoleAssignments@2024-05-15' = {
  parent: cosmos
  name: guid(cosmos.id, app.id, 'data-contributor')
  properties: {
    roleDefinitionId: '${cosmos.id}/sqlRoleDefinitions/00000000-0000-0000-0000-000000000002'
    principalId: app.identity.principalId
    scope: cosmos.id
  }
}

// Storage Blob Data Owner on the runtime storage account (identity-based AzureWebJobsStorage).
resource storageOwner 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  scope: storage
  name: guid(storage.id, app.id, 'blob-owner')
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b')
    principalId: app.identity.principalId
    principalType: 'ServicePrincipal'
  }
}

// Storage Blob Data Contributor on the anchor container only: it appends anchors (the retention
// policy refuses overwrites and deletes, whatever the role says).
resource anchorWriter 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  scope: anchorContainer
  name: guid(anchorContainer.id, app.id, 'anchor-writer')
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', 'ba92f5b4-2d11-453d-a403-e96b0029c9fe')
    principalId: app.identity.principalId
    principalType: 'ServicePrincipal'
  }
}

// Event Grid system topic on the governed subscription: role assignment, storage and Key Vault writes,
// and the storage key and SAS actions (string filters compare case-insensitively).
resource subscriptionTopic 'Microsoft.EventGrid/systemTopics@2024-06-01-preview' = {
  name: '${prefix}-subscription-events'
  location: 'global'
  properties: {
    source: '/subscriptions/${governedSubscriptionId}'
    topicType: 'Microsoft.Resources.Subscriptions'
  }
}

var retryPolicy = { maxDeliveryAttempts: 30, eventTimeToLiveInMinutes: 1440 }
var deadLetter = {
  endpointType: 'StorageBlob'
  properties: { resourceId: storage.id, blobContainerName: 'eventgrid-deadletter' }
}

resource armEventsSubscription 'Microsoft.EventGrid/systemTopics/eventSubscriptions@2024-06-01-preview' = {
  parent: subscriptionTopic
  name: 'armEvents'
  properties: {
    destination: {
      endpointType: 'AzureFunction'
      properties: { resourceId: '${app.id}/functions/armEvents', maxEventsPerBatch: 1 }
    }
    filter: {
      includedEventTypes: [ 'Microsoft.Resources.ResourceWriteSuccess', 'Microsoft.Resources.ResourceDeleteSuccess', 'Microsoft.Resources.ResourceActionSuccess' ]
      advancedFilters: [
        {
          operatorType: 'StringIn'
          key: 'data.operationName'
          values: [
            'Microsoft.Authorization/roleAssignments/write'
            'Microsoft.Authorization/roleAssignments/delete'
            'Microsoft.Storage/storageAccounts/write'
            'Microsoft.Storage/storageAccounts/privateEndpointConnections/write'
            'Microsoft.Storage/storageAccounts/listKeys/action'
            'Microsoft.Storage/storageAccounts/regenerateKey/action'
            'Microsoft.Storage/storageAccounts/listAccountSas/action'
            'Microsoft.Storage/storageAccounts/listServiceSas/action'
            'Microsoft.KeyVault/vaults/write'
            'Microsoft.KeyVault/vaults/accessPolicies/write'
          ]
        }
      ]
    }
    eventDeliverySchema: 'EventGridSchema'
    retryPolicy: retryPolicy
    deadLetterDestination: deadLetter
  }
}

resource keyVaultTopics 'Microsoft.EventGrid/systemTopics@2024-06-01-preview' = [for (kv, i) in keyVaultIds: {
  name: '${prefix}-kv-events-${i}'
  location: location
  properties: { source: kv, topicType: 'Microsoft.KeyVault.vaults' }
}]

resource keyVaultSubscriptions 'Microsoft.EventGrid/systemTopics/eventSubscriptions@2024-06-01-preview' = [for (kv, i) in keyVaultIds: {
  parent: keyVaultTopics[i]
  name: 'keyVaultEvents'
  properties: {
    destination: { endpointType: 'AzureFunction', properties: { resourceId: '${app.id}/functions/keyVaultEvents' } }
    eventDeliverySchema: 'EventGridSchema'
    retryPolicy: retryPolicy
    deadLetterDestination: deadLetter
  }
}]

resource storageTopics 'Microsoft.EventGrid/systemTopics@2024-06-01-preview' = [for (sa, i) in storageAccountIds: {
  name: '${prefix}-st-events-${i}'
  location: location
  properties: { source: sa, topicType: 'Microsoft.Storage.StorageAccounts' }
}]

resource storageSubscriptions 'Microsoft.EventGrid/systemTopics/eventSubscriptions@2024-06-01-preview' = [for (sa, i) in storageAccountIds: {
  parent: storageTopics[i]
  name: 'storageEvents'
  properties: {
    destination: { endpointType: 'AzureFunction', properties: { resourceId: '${app.id}/functions/storageEvents' } }
    eventDeliverySchema: 'EventGridSchema'
    retryPolicy: retryPolicy
    deadLetterDestination: deadLetter
  }
}]

resource bot 'Microsoft.BotService/botServices@2022-09-15' = if (!empty(botAppId)) {
  name: '${prefix}-bot-${suffix}'
  location: 'global'
  kind: 'azurebot'
  sku: { name: 'S1' }
  properties: {
    displayName: 'AccessManager'
    endpoint: 'https://${app.properties.defaultHostName}/api/messages'
    msaAppId: botAppId
    msaAppType: 'SingleTenant'
    msaAppTenantId: tenantId
  }
}

resource teamsChannel 'Microsoft.BotService/botServices/channels@2022-09-15' = if (!empty(botAppId)) {
  parent: bot
  name: 'MsTeamsChannel'
  location: 'global'
  properties: { channelName: 'MsTeamsChannel', properties: { isEnabled: true } }
}

output functionAppName string = app.name
output principalId string = app.identity.principalId
output cosmosEndpoint string = cosmos.properties.documentEndpoint
