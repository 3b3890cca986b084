// Two storage accounts, shared keys off in both (an account-key SAS would outlive every role
// revocation):
// - runtime: AzureWebJobsStorage (timer leases, host keys) and the container Flex Consumption
//   deploys the package from. The app owns its blobs.
// - evidence: what must outlive a compromise of the app: audit-ledger anchors and Event Grid
//   dead letters. Both containers carry a time-based retention policy (left unlocked) that lets
//   new blobs and appends in (allowProtectedAppendWritesAll) but refuses overwrites and deletes,
//   and nobody here holds a role that deletes. Its own account, so retained blobs never block
//   deleting the runtime pieces.
param location string
param tags object = {}
param runtimeAccountName string
param evidenceAccountName string
param deploymentContainerName string
param deadLetterContainerName string
param anchorContainerName string = 'audit-anchors'
@description('Days an anchor blob cannot be overwritten or deleted: longer than the ledger is kept.')
param anchorRetentionDays int
@description('Days a dead letter cannot be overwritten or deleted.')
param deadLetterRetentionDays int

var accountProperties = {
  minimumTlsVersion: 'TLS1_2'
  allowBlobPublicAccess: false
  allowSharedKeyAccess: false
  supportsHttpsTrafficOnly: true
  dnsEndpointType: 'Standard'
  publicNetworkAccess: 'Enabled'
  // Event Grid writes dead letters as a trusted Azure service.
  networkAcls: { defaultAction: 'Allow', bypass: 'AzureServices' }
}

resource runtime 'Microsoft.Storage/storageAccounts@2024-01-01' = {
  name: runtimeAccountName
  location: location
  tags: tags
  sku: { name: 'Standard_LRS' }
  kind: 'StorageV2'
  properties: accountProperties

  resource blobs 'blobServices' = {
    name: 'default'

    resource deployment 'containers' = {
      name: deploymentContainerName
      properties: { publicAccess: 'None' }
    }
  }
}

resource evidence 'Microsoft.Storage/storageAccounts@2024-01-01' = {
  name: evidenceAccountName
  location: location
  tags: tags
  sku: { name: 'Standard_LRS' }
  kind: 'StorageV2'
  properties: accountProperties

  resource blobs 'blobServices' = {
    name: 'default'

    resource anchors 'containers' = {
      name: anchorContainerName
      properties: { publicAccess: 'None' }

      // Anchors are appended to append blobs. allowProtectedAppendWritesAll and
      // allowProtectedAppendWrites are mutually exclusive; only the first is set. Left unlocked:
      // locking is irreversible (README, Audit ledger, says how once the period is settled).
      resource retention 'immutabilityPolicies' = {
        name: 'default'
        properties: {
          immutabilityPeriodSinceCreationInDays: anchorRetentionDays
          allowProtectedAppendWritesAll: true
        }
      }
    }

    resource deadLetters 'containers' = {
      name: deadLetterContainerName
      properties: { publicAccess: 'None' }

      resource retention 'immutabilityPolicies' = {
        name: 'default'
        properties: {
          immutabilityPeriodSinceCreationInDays: deadLetterRetentionDays
          allowProtectedAppendWritesAll: true
        }
      }
    }
  }
}

output runtimeAccountName string = runtime.name
output evidenceAccountName string = evidence.name
output evidenceAccountId string = evidence.id
output anchorContainerName string = anchorContainerName
output anchorContainerUrl string = '${evidence.properties.primaryEndpoints.blob}${anchorContainerName}'
