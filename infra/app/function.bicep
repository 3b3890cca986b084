// The Function App on Flex Consumption (FC1, Linux, Node 22): one app per plan, scale to zero,
// code deployed by azd into a blob container the app's user-assigned identity reads. Runtime and
// scale live in functionAppConfig: none of the settings Flex rejects (FUNCTIONS_WORKER_RUNTIME,
// FUNCTIONS_EXTENSION_VERSION, WEBSITE_NODE_DEFAULT_VERSION, WEBSITE_RUN_FROM_PACKAGE,
// linuxFxVersion, ...; `forbidden` in infra/shared/app-settings.json) is set.
//
// App settings: exactly the `deployed` settings of infra/shared/app-settings.json plus its
// `platform` ones, taken from `values` below (./appSettings.bicep; a test compares the keys).
//
// App Service authentication (Easy Auth v2) signs people in with the app registration, whose
// client credential is a federated credential trusting this identity
// (OVERRIDE_USE_MI_FIC_ASSERTION_CLIENTID): no secret anywhere.
param name string
param planName string
param location string
param tags object = {}
param identityId string
param identityClientId string
param identityPrincipalId string
param storageAccountName string
param deploymentContainerName string
param applicationInsightsName string
param maximumInstanceCount int = 40
@allowed([2048, 4096])
param instanceMemoryMB int = 2048
param alwaysReady array = []
param easyAuthClientId string
param governedSubscriptionId string
param breakGlassPrincipalIds string
param cosmosEndpoint string
param cosmosDatabase string
param botAppId string
param openAiEndpoint string
param openAiDeployment string
param securityContacts string
param governedSubscriptionIds string
param governedManagementGroup string
param securityTeamsChannel string
@description('Append-blob container for audit anchors (the evidence account).')
param anchorContainerUrl string

resource storage 'Microsoft.Storage/storageAccounts@2024-01-01' existing = {
  name: storageAccountName
}

resource insights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: applicationInsightsName
}

resource plan 'Microsoft.Web/serverfarms@2024-04-01' = {
  name: planName
  location: location
  tags: tags
  kind: 'functionapp'
  sku: { tier: 'FlexConsumption', name: 'FC1' }
  properties: { reserved: true }
}

resource site 'Microsoft.Web/sites@2024-04-01' = {
  name: name
  location: location
  tags: tags
  kind: 'functionapp,linux'
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: { '${identityId}': {} }
  }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    siteConfig: {
      minTlsVersion: '1.2'
    }
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: '${storage.properties.primaryEndpoints.blob}${deploymentContainerName}'
          authentication: {
            type: 'UserAssignedIdentity'
            userAssignedIdentityResourceId: identityId
          }
        }
      }
      scaleAndConcurrency: union(
        { maximumInstanceCount: maximumInstanceCount, instanceMemoryMB: instanceMemoryMB },
        empty(alwaysReady) ? {} : { alwaysReady: alwaysReady }
      )
      // Node 20 left support on 2026-04-30; the code runs on 20 and 22.
      runtime: { name: 'node', version: '22' }
    }
  }
}

// Keyed by setting name; infra/shared/app-settings.json decides which of them are deployed.
// Some values exist only once the site does, hence a module that receives them as a parameter.
module settings 'appSettings.bicep' = {
  name: '${name}-settings'
  params: {
    siteName: site.name
    values: {
      ACCESSMANAGER_ENV: 'azure'
      AZURE_TENANT_ID: tenant().tenantId
      AZURE_SUBSCRIPTION_ID: governedSubscriptionId
      ACCESSMANAGER_PRINCIPAL_ID: identityPrincipalId
      BREAKGLASS_PRINCIPAL_IDS: breakGlassPrincipalIds
      AZURE_CLIENT_ID: identityClientId
      COSMOS_ENDPOINT: cosmosEndpoint
      COSMOS_DATABASE: cosmosDatabase
      BOT_APP_ID: botAppId
      PUBLIC_BASE_URL: 'https://${site.properties.defaultHostName}'
      AZURE_OPENAI_ENDPOINT: openAiEndpoint
      AZURE_OPENAI_DEPLOYMENT: openAiDeployment
      SECURITY_CONTACTS: securityContacts
      GOVERNED_SUBSCRIPTION_IDS: governedSubscriptionIds
      GOVERNED_MANAGEMENT_GROUP: governedManagementGroup
      SECURITY_TEAMS_CHANNEL: securityTeamsChannel
      AUDIT_ANCHOR_CONTAINER_URL: anchorContainerUrl
      // The Functions host: identity-based storage (blob only: timers and keys), telemetry with Entra auth.
      AzureWebJobsStorage__credential: 'managedidentity'
      AzureWebJobsStorage__clientId: identityClientId
      AzureWebJobsStorage__blobServiceUri: storage.properties.primaryEndpoints.blob
      APPLICATIONINSIGHTS_CONNECTION_STRING: insights.properties.ConnectionString
      APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'ClientId=${identityClientId};Authorization=AAD'
      // The portal answers at /: the host's own home page must not.
      AzureWebJobsDisableHomepage: 'true'
      // Easy Auth's client credential: this identity's token, exchanged through the app registration's federated credential.
      OVERRIDE_USE_MI_FIC_ASSERTION_CLIENTID: identityClientId
      WEBSITE_AUTH_AAD_ALLOWED_TENANTS: tenant().tenantId
    }
  }
}

// Easy Auth's unauthenticated action is global, so anonymous requests reach the app: the API
// answers 401 itself without a verified identity (the platform strips client-sent principal
// headers), and the portal's pages send the browser to /.auth/login/aad. Excluded paths
// authenticate otherwise: Event Grid with the system key in the URL (both letter cases of the
// path occur), the Bot Framework with its JWT (checked by the app), and health probes.
resource auth 'Microsoft.Web/sites/config@2024-04-01' = {
  parent: site
  name: 'authsettingsV2'
  dependsOn: [settings] // the client-assertion setting must exist first
  properties: {
    platform: { enabled: true, runtimeVersion: '~1' }
    globalValidation: {
      requireAuthentication: false
      unauthenticatedClientAction: 'AllowAnonymous'
      excludedPaths: [
        '/runtime/webhooks/eventgrid'
        '/runtime/webhooks/EventGrid'
        '/api/messages'
        '/api/health'
      ]
    }
    httpSettings: {
      requireHttps: true
      routes: { apiPrefix: '/.auth' }
      forwardProxy: { convention: 'NoProxy' }
    }
    identityProviders: {
      azureActiveDirectory: {
        enabled: true
        registration: {
          clientId: easyAuthClientId
          openIdIssuer: '${environment().authentication.loginEndpoint}${tenant().tenantId}/v2.0'
          clientSecretSettingName: 'OVERRIDE_USE_MI_FIC_ASSERTION_CLIENTID'
        }
        validation: {
          // v2 tokens name the app by its client id, v1 tokens by its application id URI (the CLI may hold either).
          allowedAudiences: [easyAuthClientId, 'api://${easyAuthClientId}']
        }
      }
    }
    login: {
      // The portal asks /.auth/me who is signed in, which needs the token store.
      tokenStore: { enabled: true }
    }
  }
}

output name string = site.name
output id string = site.id
output defaultHostName string = site.properties.defaultHostName
