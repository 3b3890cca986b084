// Two user-assigned identities, created before anything that needs their ids:
// - the app's: everything AccessManager does (runtime storage, deployment package, Cosmos, ARM,
//   Microsoft Graph, telemetry, Easy Auth's client assertion, the bot's token exchange);
// - Event Grid's: dead-lettering from the regional system topics this deployment creates.
// A user-assigned identity's principal id exists before the app does, so the governed
// subscription's role and the Graph grants are made in the same provision.
param location string
param tags object = {}
param appIdentityName string
param eventGridIdentityName string

resource app 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' = {
  name: appIdentityName
  location: location
  tags: tags
}

resource eventGrid 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' = {
  name: eventGridIdentityName
  location: location
  tags: tags
}

output appIdentityId string = app.id
output appClientId string = app.properties.clientId
output appPrincipalId string = app.properties.principalId
output eventGridIdentityId string = eventGrid.id
output eventGridPrincipalId string = eventGrid.properties.principalId
