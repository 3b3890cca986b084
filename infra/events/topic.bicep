// One event source: its system topic (created here, or an existing one reused by name) and
// AccessManager's subscription on it, delivering one event at a time to a function, filtered to
// the event types (and, for ARM events, the data.operationName values) the function acts on,
// retried for 24 hours, then dead-lettered to the evidence account.
// Dead-lettering uses the topic's user-assigned identity when this deployment owns a regional
// topic (useIdentity). A subscription topic is global and cannot carry a managed identity, and a
// reused topic belongs to someone else: those dead-letter with Event Grid's own access.
param create bool
param topicName string
param location string
param source string
param useIdentity bool
param eventGridIdentityId string
param functionAppId string
@description('The entry of infra/shared/events.json for this kind of source.')
param subscriptionSpec object
param retryPolicy object
param deadLetterStorageId string
param deadLetterContainer string

resource newTopic 'Microsoft.EventGrid/systemTopics@2025-02-15' = if (create) {
  name: topicName
  location: location
  identity: useIdentity ? { type: 'UserAssigned', userAssignedIdentities: { '${eventGridIdentityId}': {} } } : null
  properties: {
    source: source
    topicType: subscriptionSpec.topicType
  }
}

var deadLetterDestination = {
  endpointType: 'StorageBlob'
  properties: { resourceId: deadLetterStorageId, blobContainerName: deadLetterContainer }
}

// Advanced filters compare case-insensitively; the handlers compare operation names that way too.
var eventFilter = union(
  { includedEventTypes: subscriptionSpec.includedEventTypes },
  empty(subscriptionSpec.operations)
    ? {}
    : { advancedFilters: [{ operatorType: 'StringIn', key: 'data.operationName', values: subscriptionSpec.operations }] }
)

// The full child name instead of `parent`, so one declaration serves a new or a reused topic.
resource delivery 'Microsoft.EventGrid/systemTopics/eventSubscriptions@2025-02-15' = {
  name: '${topicName}/${subscriptionSpec.subscriptionName}'
  dependsOn: [newTopic]
  properties: union(
    {
      destination: {
        endpointType: 'AzureFunction'
        properties: {
          resourceId: '${functionAppId}/functions/${subscriptionSpec.functionName}'
          maxEventsPerBatch: 1
        }
      }
      eventDeliverySchema: 'EventGridSchema'
      filter: eventFilter
      retryPolicy: retryPolicy
    },
    useIdentity
      ? {
          deadLetterWithResourceIdentity: {
            identity: { type: 'UserAssigned', userAssignedIdentity: eventGridIdentityId }
            deadLetterDestination: deadLetterDestination
          }
        }
      : { deadLetterDestination: deadLetterDestination }
  )
}

output eventSubscriptionId string = delivery.id
