/**
 * The built-in Azure roles AccessManager knows by name, with their real GUIDs and
 * permissions. Requests may name a role by display name, GUID or full definition id.
 */
import { roleDefinitionGuid } from './armIds';

export interface RolePermission {
  actions: string[];
  notActions: string[];
  dataActions: string[];
  notDataActions: string[];
}

export interface BuiltInRole {
  guid: string;
  roleName: string;
  description: string;
  permissions: RolePermission;
}

const authorizationNotActions = [
  'Microsoft.Authorization/*/Delete',
  'Microsoft.Authorization/*/Write',
  'Microsoft.Authorization/elevateAccess/Action',
  'Microsoft.Blueprint/blueprintAssignments/write',
  'Microsoft.Blueprint/blueprintAssignments/delete',
  'Microsoft.Compute/galleries/share/action',
  'Microsoft.Purview/consents/write',
  'Microsoft.Purview/consents/delete',
  'Microsoft.Resources/deploymentStacks/manageDenySetting/action',
  'Microsoft.Subscription/cancel/action',
  'Microsoft.Subscription/enable/action',
];

function role(guid: string, roleName: string, description: string, p: Partial<RolePermission>): BuiltInRole {
  return {
    guid,
    roleName,
    description,
    permissions: { actions: p.actions ?? [], notActions: p.notActions ?? [], dataActions: p.dataActions ?? [], notDataActions: p.notDataActions ?? [] },
  };
}

const kvControlRead = [
  'Microsoft.Authorization/*/read',
  'Microsoft.Insights/alertRules/*',
  'Microsoft.Resources/deployments/*',
  'Microsoft.Resources/subscriptions/resourceGroups/read',
  'Microsoft.Support/*',
  'Microsoft.KeyVault/checkNameAvailability/read',
  'Microsoft.KeyVault/deletedVaults/read',
  'Microsoft.KeyVault/locations/*/read',
  'Microsoft.KeyVault/vaults/*/read',
  'Microsoft.KeyVault/operations/read',
];

export const BUILT_IN_ROLES: readonly BuiltInRole[] = [
  role('8e3af657-a8ff-443c-a75c-2fe8c4bcb635', 'Owner', 'Grants full access to manage all resources, including the ability to assign roles in Azure RBAC.', { actions: ['*'] }),
  role('b24988ac-6180-42a0-ab88-20f7382dd24c', 'Contributor', 'Grants full access to manage all resources, but does not allow you to assign roles in Azure RBAC.', {
    actions: ['*'],
    notActions: authorizationNotActions,
  }),
  role('acdd72a7-3385-48ef-bd42-f606fba81ae7', 'Reader', 'View all resources, but does not allow you to make any changes.', { actions: ['*/read'] }),
  role('18d7d88d-d35e-4fb5-a5c3-7773c20a72d9', 'User Access Administrator', 'Lets you manage user access to Azure resources.', {
    actions: ['*/read', 'Microsoft.Authorization/*', 'Microsoft.Support/*'],
  }),
  role('f58310d9-a9f6-439a-9e8d-f62e7b41a168', 'Role Based Access Control Administrator', 'Manage access to Azure resources by assigning roles using Azure RBAC.', {
    actions: ['Microsoft.Authorization/roleAssignments/write', 'Microsoft.Authorization/roleAssignments/delete', '*/read', 'Microsoft.Support/*'],
  }),
  role('17d1049b-9a84-46fb-8f53-869881c3d3ab', 'Storage Account Contributor', 'Permits management of storage accounts.', {
    actions: [
      'Microsoft.Authorization/*/read',
      'Microsoft.Insights/alertRules/*',
      'Microsoft.Insights/diagnosticSettings/*',
      'Microsoft.Network/virtualNetworks/subnets/joinViaServiceEndpoint/action',
      'Microsoft.ResourceHealth/availabilityStatuses/read',
      'Microsoft.Resources/deployments/*',
      'Microsoft.Resources/subscriptions/resourceGroups/read',
      'Microsoft.Storage/storageAccounts/*',
      'Microsoft.Support/*',
    ],
  }),
  role('2a2b9908-6ea1-4ae2-8e65-a410df84e7d1', 'Storage Blob Data Reader', 'Read and list Azure Storage containers and blobs.', {
    actions: ['Microsoft.Storage/storageAccounts/blobServices/containers/read', 'Microsoft.Storage/storageAccounts/blobServices/generateUserDelegationKey/action'],
    dataActions: ['Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read'],
  }),
  role('ba92f5b4-2d11-453d-a403-e96b0029c9fe', 'Storage Blob Data Contributor', 'Read, write, and delete Azure Storage containers and blobs.', {
    actions: [
      'Microsoft.Storage/storageAccounts/blobServices/containers/delete',
      'Microsoft.Storage/storageAccounts/blobServices/containers/read',
      'Microsoft.Storage/storageAccounts/blobServices/containers/write',
      'Microsoft.Storage/storageAccounts/blobServices/generateUserDelegationKey/action',
    ],
    dataActions: [
      'Microsoft.Storage/storageAccounts/blobServices/containers/blobs/delete',
      'Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read',
      'Microsoft.Storage/storageAccounts/blobServices/containers/blobs/write',
      'Microsoft.Storage/storageAccounts/blobServices/containers/blobs/move/action',
      'Microsoft.Storage/storageAccounts/blobServices/containers/blobs/add/action',
    ],
  }),
  role('b7e6dc6d-f1e8-4753-8033-0f276bb0955b', 'Storage Blob Data Owner', 'Provides full access to Azure Storage blob containers and data, including assigning POSIX access control.', {
    actions: ['Microsoft.Storage/storageAccounts/blobServices/containers/*', 'Microsoft.Storage/storageAccounts/blobServices/generateUserDelegationKey/action'],
    dataActions: ['Microsoft.Storage/storageAccounts/blobServices/containers/blobs/*'],
  }),
  role('00482a5a-887f-4fb3-b363-3b7fe8e74483', 'Key Vault Administrator', 'Perform all data plane operations on a key vault and all objects in it.', {
    actions: kvControlRead,
    dataActions: ['Microsoft.KeyVault/vaults/*'],
  }),
  role('4633458b-17de-408a-b874-0445c86b69e6', 'Key Vault Secrets User', 'Read secret contents.', {
    dataActions: ['Microsoft.KeyVault/vaults/secrets/getSecret/action', 'Microsoft.KeyVault/vaults/secrets/readMetadata/action'],
  }),
  role('b86a8fe4-44ce-4948-aee5-eccb2c155cd7', 'Key Vault Secrets Officer', 'Perform any action on the secrets of a key vault, except manage permissions.', {
    actions: kvControlRead,
    dataActions: ['Microsoft.KeyVault/vaults/secrets/*'],
  }),
];

const byGuid = new Map(BUILT_IN_ROLES.map((r) => [r.guid, r]));
const byName = new Map(BUILT_IN_ROLES.map((r) => [r.roleName.toLowerCase(), r]));

/** Finds a built-in role by display name (any case), GUID, or full role definition id. */
export function findBuiltInRole(nameOrId: string): BuiltInRole | undefined {
  const guid = roleDefinitionGuid(nameOrId.trim());
  if (guid) return byGuid.get(guid);
  return byName.get(nameOrId.trim().toLowerCase());
}
