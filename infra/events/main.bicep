// Event Grid wiring, deployed by the postdeploy hook AFTER the code (deploy/eventGrid.ts):
// Azure validates an AzureFunction endpoint against the deployed function when the event
// subscription is created, so this cannot be part of `azd provision`.
//
// Azure allows one system topic per source, and it may already exist anywhere (created by the
// portal in Default-EventGrid, by another team, ...). The hook finds existing topics and passes
// the plan as `topics`: reuse one, or create it in the source's own region (the subscription
// topic is global). What each subscription lets through, retries and dead-lettering come from
// infra/shared/events.json, the file the tests check against the functions and their decoders.
targetScope = 'subscription'

@description('Resource id of the Function App (its functions are <id>/functions/<name>).')
param functionAppId string
@description('Storage account of the dead-letter container (the evidence account).')
param deadLetterStorageId string
@description('User-assigned identity that topics created here dead-letter with.')
param eventGridIdentityId string
@description('''One entry per event source: { kind: 'subscription' | 'keyVault' | 'storage', source, topicName,
subscriptionId, resourceGroup, location, create, useIdentity }.''')
param topics array

var spec = loadJsonContent('../shared/events.json')

module topic 'topic.bicep' = [
  for (t, i) in topics: {
    name: 'accessmanager-events-${i}-${uniqueString(t.source)}'
    scope: resourceGroup(t.subscriptionId, t.resourceGroup)
    params: {
      create: t.create
      topicName: t.topicName
      location: t.location
      source: t.source
      useIdentity: t.useIdentity
      eventGridIdentityId: eventGridIdentityId
      functionAppId: functionAppId
      subscriptionSpec: spec.subscriptions[t.kind]
      retryPolicy: spec.retryPolicy
      deadLetterStorageId: deadLetterStorageId
      deadLetterContainer: spec.deadLetterContainer
    }
  }
]
