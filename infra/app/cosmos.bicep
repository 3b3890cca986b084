// Cosmos DB for NoSQL: serverless, Entra auth only, continuous backup. The database and its
// containers come from infra/shared/cosmos.json, the same file the code creates them from
// locally (shared/adapters/cosmos/containers.ts): with local auth off the app cannot create or
// change a container, so partition keys, composite indexes (every ORDER BY on two fields) and
// defaultTtl (per-document ttl on `state`) must be right here.
param location string
param tags object = {}
param accountName string
@description('infra/shared/cosmos.json: { database, containers: [{ name, partitionKey, indexingPolicy, defaultTtl? }] }')
param spec object

resource account 'Microsoft.DocumentDB/databaseAccounts@2024-05-15' = {
  name: accountName
  location: location
  tags: tags
  kind: 'GlobalDocumentDB'
  properties: {
    databaseAccountOfferType: 'Standard'
    disableLocalAuth: true
    locations: [{ locationName: location, failoverPriority: 0 }]
    consistencyPolicy: { defaultConsistencyLevel: 'Session' }
    capabilities: [{ name: 'EnableServerless' }]
    backupPolicy: { type: 'Continuous', continuousModeProperties: { tier: 'Continuous30Days' } }
    publicNetworkAccess: 'Enabled'
  }
}

resource database 'Microsoft.DocumentDB/databaseAccounts/sqlDatabases@2024-11-15' = {
  parent: account
  name: spec.database
  properties: { resource: { id: spec.database } }
}

resource containers 'Microsoft.DocumentDB/databaseAccounts/sqlDatabases/containers@2024-11-15' = [
  for c in spec.containers: {
    parent: database
    name: c.name
    properties: {
      resource: union(
        {
          id: c.name
          partitionKey: { paths: [c.partitionKey], kind: 'Hash' }
          indexingPolicy: c.indexingPolicy
        },
        contains(c, 'defaultTtl') ? { defaultTtl: c.defaultTtl } : {}
      )
    }
  }
]

output accountName string = account.name
output endpoint string = account.properties.documentEndpoint
