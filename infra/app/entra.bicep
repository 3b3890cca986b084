// Entra side, through the Microsoft Graph Bicep extension (entraMode 'graph'). Nothing here
// holds a secret: both app registrations trust the Function App's managed identity through a
// federated credential.
// - The App Service authentication app: people sign in to the portal and the CLI with it; its
//   app role AccessManager.Admin marks admins (assign it to your security team after deploying).
//   The Azure CLI is pre-authorized, so `access-manager --audience <client id>` works after az login.
// - The Teams bot app (teamsBot): the Azure Bot's identity; AccessManager exchanges its managed
//   identity's token for the bot's (ClientAssertionCredential).
// - Microsoft Graph application permissions for the managed identity: User.Read.All and
//   GroupMember.Read.All (approver groups, transitively), looked up by name in Microsoft Graph's
//   own app roles rather than hard-coded.
// The deployer needs to create applications (Application Administrator or Application.ReadWrite.All)
// and to grant Graph application permissions (Privileged Role Administrator). Without those rights,
// use entraMode 'script' and infra/hooks/entra.sh, run by someone who has them (README, Azure).
extension microsoftGraphV1

param environmentName string
param resourceToken string
param appIdentityPrincipalId string
@description('The Function App\'s host name: the sign-in redirect URI is https://<host>/.auth/login/aad/callback.')
param functionAppHost string
param teamsBot bool = true
param graphPermissions array = ['User.Read.All', 'GroupMember.Read.All']

var issuer = '${environment().authentication.loginEndpoint}${tenant().tenantId}/v2.0'
var authUniqueName = 'accessmanager-auth-${environmentName}-${resourceToken}'
var botUniqueName = 'accessmanager-bot-${environmentName}-${resourceToken}'
var adminRoleId = guid(authUniqueName, 'AccessManager.Admin')
var userScopeId = guid(authUniqueName, 'user_impersonation')
var azureCliAppId = '04b07795-8ddb-461a-bbee-02f9e1bf7b46'

resource authApp 'Microsoft.Graph/applications@v1.0' = {
  uniqueName: authUniqueName
  displayName: 'AccessManager (${environmentName})'
  signInAudience: 'AzureADMyOrg'
  appRoles: [
    {
      id: adminRoleId
      value: 'AccessManager.Admin'
      displayName: 'AccessManager administrator'
      description: 'Queries the audit trail and the live access view, resets enforcement breakers.'
      allowedMemberTypes: ['User']
      isEnabled: true
    }
  ]
  api: {
    requestedAccessTokenVersion: 2
    oauth2PermissionScopes: [
      {
        id: userScopeId
        value: 'user_impersonation'
        type: 'User'
        isEnabled: true
        adminConsentDisplayName: 'Use AccessManager as you'
        adminConsentDescription: 'Lets the app call AccessManager\'s API as the signed-in user.'
        userConsentDisplayName: 'Use AccessManager as you'
        userConsentDescription: 'Lets the app call AccessManager\'s API as you.'
      }
    ]
    preAuthorizedApplications: [
      { appId: azureCliAppId, delegatedPermissionIds: [userScopeId] }
    ]
  }
  web: {
    redirectUris: ['https://${functionAppHost}/.auth/login/aad/callback']
    implicitGrantSettings: { enableIdTokenIssuance: true }
  }
}

resource authCredential 'Microsoft.Graph/applications/federatedIdentityCredentials@v1.0' = {
  name: '${authApp.uniqueName}/accessmanager-managed-identity'
  description: 'App Service authentication signs in with the Function App\'s managed identity (no client secret).'
  audiences: ['api://AzureADTokenExchange']
  issuer: issuer
  subject: appIdentityPrincipalId
}

resource authServicePrincipal 'Microsoft.Graph/servicePrincipals@v1.0' = {
  appId: authApp.appId
}

resource botApp 'Microsoft.Graph/applications@v1.0' = if (teamsBot) {
  uniqueName: botUniqueName
  displayName: 'AccessManager bot (${environmentName})'
  signInAudience: 'AzureADMyOrg'
}

resource botCredential 'Microsoft.Graph/applications/federatedIdentityCredentials@v1.0' = if (teamsBot) {
  name: '${botUniqueName}/accessmanager-managed-identity'
  dependsOn: [botApp]
  description: 'AccessManager sends as the bot with its managed identity\'s token (no client secret).'
  audiences: ['api://AzureADTokenExchange']
  issuer: issuer
  subject: appIdentityPrincipalId
}

resource botServicePrincipal 'Microsoft.Graph/servicePrincipals@v1.0' = if (teamsBot) {
  appId: botApp.appId
}

resource microsoftGraph 'Microsoft.Graph/servicePrincipals@v1.0' existing = {
  appId: '00000003-0000-0000-c000-000000000000'
}

resource graphGrants 'Microsoft.Graph/appRoleAssignedTo@v1.0' = [
  for permission in graphPermissions: {
    appRoleId: filter(microsoftGraph.appRoles, r => r.value == permission)[0].id
    principalId: appIdentityPrincipalId
    resourceId: microsoftGraph.id
  }
]

output authClientId string = authApp.appId
output authServicePrincipalId string = authServicePrincipal.id
output adminRoleId string = adminRoleId
output botAppId string = teamsBot ? botApp.appId : ''
