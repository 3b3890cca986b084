// AccessManager on Azure, provisioned by `azd up` (or `azd provision`) from a fresh clone.
//
// Subscription scope, laid out like Microsoft's Functions azd quickstarts: one resource group with
// the app, its data and its telemetry, plus the one role AccessManager holds where it enforces.
// Event Grid subscriptions are NOT here: Azure validates an AzureFunction endpoint against the
// deployed function when the subscription is created, so the postdeploy hook creates them
// (infra/events/main.bicep) once the code is running.
//
// What code and infra must agree on is data both read: infra/shared/cosmos.json (containers),
// infra/shared/app-settings.json (settings), infra/shared/events.json (event subscriptions);
// test/infra/consistency.test.ts fails when they drift.
targetScope = 'subscription'

@minLength(1)
@maxLength(64)
@description('azd environment name: names the resource group and seeds every resource name.')
param environmentName string

@minLength(1)
@description('Region of every regional resource; it must offer Flex Consumption (az functionapp list-flexconsumption-locations).')
@metadata({ azd: { type: 'location' } })
param location string

@description('Object id of whoever runs azd: gets read access to the data for debugging. Empty: nobody.')
param principalId string = ''

@description('Subscription whose role assignments AccessManager governs. Empty: the one deployed to.')
param governedSubscriptionId string = ''

@description('More governed subscriptions, comma-separated ids (the app setting GOVERNED_SUBSCRIPTION_IDS). Empty: only governedSubscriptionId.')
param governedSubscriptionIds string = ''

@description('A governed management group, its name or id (the app setting GOVERNED_MANAGEMENT_GROUP): every subscription under it is governed. Empty: none.')
param governedManagementGroup string = ''

@description('Every governed subscription, comma-separated, written by the preprovision hook (deploy/rbacCondition.ts) from the settings above and what ARM lists under the management group: AccessManager gets its roles in each.')
param governedRoleSubscriptions string = ''

@description('Comma-separated object ids of break-glass accounts: never revoked anywhere.')
param breakGlassPrincipalIds string = ''

@allowed(['graph', 'script'])
@description('graph: the Microsoft Graph Bicep extension creates the app registrations and grants Graph permissions (the deployer needs Entra rights). script: infra/hooks/entra.sh (or an Entra admin) does, and passes authClientId and botAppId.')
param entraMode string = 'graph'

@description('entraMode script: client id of the App Service authentication app registration.')
param authClientId string = ''

@description('entraMode script: client id of the Teams bot app registration. Empty: no bot.')
param botAppId string = ''

@description('Deploy the Azure Bot for Teams (entraMode graph creates its app registration).')
param teamsBot bool = true

@description('ABAC condition on AccessManager\'s Role Based Access Control Administrator assignment, written by the preprovision hook from policies/*.yaml. Empty: the built-in default (no role that can itself assign roles).')
param rbacCondition string = ''

@description('Azure OpenAI endpoint for free-text role suggestions. Empty: suggestions work from operations.')
param openAiEndpoint string = ''

@description('Chat model deployment on openAiEndpoint.')
param openAiDeployment string = ''

@description('Comma-separated object ids told about security events (breaker trips, enforcement outages). Empty: the approvers of the broadest policies.')
param securityContacts string = ''

@description('Teams channel (<team id>/<channel id>) for security alerts of policies that name none. Empty: none.')
param securityTeamsChannel string = ''

@description('Days a dead letter stays immutable (time-based retention, left unlocked).')
@minValue(1)
param deadLetterRetentionDays int = 30

@description('Days an audit anchor stays immutable: longer than the audit trail is kept (time-based retention, left unlocked).')
@minValue(1)
param anchorRetentionDays int = 365

@minValue(40)
@maxValue(1000)
param maximumInstanceCount int = 40

@description('Always-ready instances, e.g. [{ name: \'function:armEvents\', instanceCount: 1 }] to answer the first event without a cold start (billed while idle).')
param alwaysReady array = []

var resourceToken = toLower(uniqueString(subscription().id, environmentName, location))
var tags = { 'azd-env-name': environmentName }
var governedSubscription = empty(governedSubscriptionId) ? subscription().subscriptionId : governedSubscriptionId
var listedSubscriptions = filter(map(split('${governedSubscriptionIds},${governedRoleSubscriptions}', ','), s => toLower(trim(s))), s => !empty(s))
// The default one first: its role's outputs are the deployment's.
var governedSubscriptions = union([toLower(governedSubscription)], listedSubscriptions)
var functionAppName = 'func-am-${resourceToken}'
// Predictable default host name (the site does not opt into generated domain labels), so the
// app registrations can name their redirect URI before the site exists.
var functionAppHost = '${functionAppName}.azurewebsites.net'
var deploymentContainerName = 'app-package-${take(functionAppName, 32)}-${take(resourceToken, 7)}'
var cosmosSpec = loadJsonContent('shared/cosmos.json')
var eventsSpec = loadJsonContent('shared/events.json')

resource rg 'Microsoft.Resources/resourceGroups@2024-03-01' = {
  name: 'rg-${environmentName}'
  location: location
  tags: tags
}

module identity 'app/identity.bicep' = {
  name: 'identity'
  scope: rg
  params: {
    location: location
    tags: tags
    appIdentityName: 'id-am-${resourceToken}'
    eventGridIdentityName: 'id-am-evg-${resourceToken}'
  }
}

module monitoring 'app/monitoring.bicep' = {
  name: 'monitoring'
  scope: rg
  params: {
    location: location
    tags: tags
    logAnalyticsName: 'log-am-${resourceToken}'
    applicationInsightsName: 'appi-am-${resourceToken}'
  }
}

module storage 'app/storage.bicep' = {
  name: 'storage'
  scope: rg
  params: {
    location: location
    tags: tags
    runtimeAccountName: 'stam${resourceToken}'
    evidenceAccountName: 'stamev${take(resourceToken, 18)}'
    deploymentContainerName: deploymentContainerName
    deadLetterContainerName: eventsSpec.deadLetterContainer
    anchorRetentionDays: anchorRetentionDays
    deadLetterRetentionDays: deadLetterRetentionDays
  }
}

module cosmos 'app/cosmos.bicep' = {
  name: 'cosmos'
  scope: rg
  params: {
    location: location
    tags: tags
    accountName: 'cosmos-am-${resourceToken}'
    spec: cosmosSpec
  }
}

module entra 'app/entra.bicep' = if (entraMode == 'graph') {
  name: 'entra'
  scope: rg
  params: {
    environmentName: environmentName
    resourceToken: resourceToken
    appIdentityPrincipalId: identity.outputs.appPrincipalId
    functionAppHost: functionAppHost
    teamsBot: teamsBot
  }
}

var easyAuthClientId = entraMode == 'graph' ? entra.outputs.authClientId : authClientId
var teamsBotAppId = !teamsBot ? '' : entraMode == 'graph' ? entra.outputs.botAppId : botAppId

module api 'app/function.bicep' = {
  name: 'api'
  scope: rg
  params: {
    name: functionAppName
    planName: 'plan-am-${resourceToken}'
    location: location
    tags: union(tags, { 'azd-service-name': 'api' })
    identityId: identity.outputs.appIdentityId
    identityClientId: identity.outputs.appClientId
    identityPrincipalId: identity.outputs.appPrincipalId
    storageAccountName: storage.outputs.runtimeAccountName
    deploymentContainerName: deploymentContainerName
    applicationInsightsName: monitoring.outputs.applicationInsightsName
    maximumInstanceCount: maximumInstanceCount
    alwaysReady: alwaysReady
    easyAuthClientId: easyAuthClientId
    governedSubscriptionId: governedSubscription
    breakGlassPrincipalIds: breakGlassPrincipalIds
    cosmosEndpoint: cosmos.outputs.endpoint
    cosmosDatabase: cosmosSpec.database
    botAppId: teamsBotAppId
    openAiEndpoint: openAiEndpoint
    openAiDeployment: openAiDeployment
    securityContacts: securityContacts
    governedSubscriptionIds: governedSubscriptionIds
    governedManagementGroup: governedManagementGroup
    securityTeamsChannel: securityTeamsChannel
    anchorContainerUrl: storage.outputs.anchorContainerUrl
  }
}

module bot 'app/bot.bicep' = if (teamsBot && !empty(teamsBotAppId)) {
  name: 'bot'
  scope: rg
  params: {
    name: 'bot-am-${resourceToken}'
    tags: tags
    botAppId: teamsBotAppId
    messagingEndpoint: 'https://${api.outputs.defaultHostName}/api/messages'
  }
}

module rbac 'app/rbac.bicep' = {
  name: 'rbac'
  scope: rg
  params: {
    runtimeAccountName: storage.outputs.runtimeAccountName
    evidenceAccountName: storage.outputs.evidenceAccountName
    anchorContainerName: storage.outputs.anchorContainerName
    deadLetterContainerName: eventsSpec.deadLetterContainer
    applicationInsightsName: monitoring.outputs.applicationInsightsName
    cosmosAccountName: cosmos.outputs.accountName
    appPrincipalId: identity.outputs.appPrincipalId
    eventGridPrincipalId: identity.outputs.eventGridPrincipalId
    developerPrincipalId: principalId
  }
}

// AccessManager's roles where it enforces, in every governed subscription: RBAC Administrator,
// constrained by an ABAC condition, and the guardrails role. (A management group's subscriptions
// come from the preprovision hook; one that joins later needs `azd provision` again.)
module governance 'app/governance.bicep' = [
  for sub in governedSubscriptions: {
    name: 'accessmanager-governance-${uniqueString(sub, resourceToken)}'
    scope: subscription(sub)
    params: {
      appPrincipalId: identity.outputs.appPrincipalId
      condition: rbacCondition
    }
  }
]

// azd stores these in the environment; the hooks (deploy/*.ts) and the smoke test read them.
output AZURE_LOCATION string = location
output AZURE_TENANT_ID string = tenant().tenantId
output AZURE_RESOURCE_GROUP string = rg.name
output FUNCTION_APP_NAME string = api.outputs.name
output FUNCTION_APP_ID string = api.outputs.id
output FUNCTION_APP_URL string = 'https://${api.outputs.defaultHostName}'
output APP_IDENTITY_CLIENT_ID string = identity.outputs.appClientId
output APP_IDENTITY_PRINCIPAL_ID string = identity.outputs.appPrincipalId
output EVENTGRID_IDENTITY_ID string = identity.outputs.eventGridIdentityId
output EVIDENCE_STORAGE_ID string = storage.outputs.evidenceAccountId
output DEADLETTER_CONTAINER string = eventsSpec.deadLetterContainer
output AUDIT_ANCHOR_CONTAINER_URL string = storage.outputs.anchorContainerUrl
output GOVERNED_SUBSCRIPTION_ID string = governedSubscription
output AUTH_CLIENT_ID string = easyAuthClientId
output BOT_APP_ID string = teamsBotAppId
output COSMOS_ENDPOINT string = cosmos.outputs.endpoint
output RBAC_CONDITION string = governance[0].outputs.condition
