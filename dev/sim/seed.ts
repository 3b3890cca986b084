/**
 * The local tenant of API.md as data: directory objects, resources and the standing role
 * assignments. `SimState.reset()` rebuilds the simulator's state from here.
 */
import { roleDefinitionId } from '../../shared/domain/armIds';
import { findBuiltInRole } from '../../shared/domain/roles';
import { builtInSimRole } from './arm/roleCatalog';
import {
  APP_ASSIGNMENT_NAME,
  BREAKGLASS_ASSIGNMENT_NAME,
  DAVE_BASELINE_ASSIGNMENT_NAME,
  GROUPS,
  LOCAL_SUBSCRIPTION_ID,
  LOCAL_TENANT_ID,
  PEOPLE,
  RG,
  SUBSCRIPTION_SCOPE,
  TRAINING_SUBSCRIPTION_ID,
  TRAINING_SUBSCRIPTION_SCOPE,
  UNGOVERNED_SUBSCRIPTION_ID,
} from '../tenant';
import type { DirectoryObject } from './directory';

/** Client id of AccessManager's managed identity (its service principal's appId). */
export const ACCESS_MANAGER_APP_ID = '00000000-0000-4000-8000-0000000000a8';
/** The Azure CLI's client id: what a user's ARM token carries as `appid` when they use `az`. */
export const AZURE_CLI_APP_ID = '04b07795-8ddb-461a-bbee-02f9e1bf7b46';
export const SEED_LOCATION = 'westeurope';
/** Fixed creation time of everything seeded, so answers are stable across runs. */
export const SEED_TIME = '2026-01-05T09:00:00.0000000Z';

const DOMAIN = 'contoso.test';

function user(id: string, login: string, givenName: string, surname: string, jobTitle: string): DirectoryObject {
  return {
    kind: 'User',
    id,
    displayName: `${givenName} ${surname}`,
    givenName,
    surname,
    jobTitle,
    userPrincipalName: `${login}@${DOMAIN}`,
    mail: `${login}@${DOMAIN}`,
  };
}

export function seedDirectory(): DirectoryObject[] {
  return [
    user(PEOPLE.alice, 'alice', 'Alice', 'Lindqvist', 'Research Scientist'),
    user(PEOPLE.bob, 'bob', 'Bob', 'Okafor', 'Research Lead'),
    user(PEOPLE.carol, 'carol', 'Carol', 'Nguyen', 'ML Infrastructure Lead'),
    user(PEOPLE.erin, 'erin', 'Erin', 'Fischer', 'Security Engineer'),
    user(PEOPLE.dave, 'dave', 'Dave', 'Moreau', 'Platform Engineer'),
    user(PEOPLE.mallory, 'mallory', 'Mallory', 'Quinn', 'Contractor'),
    user(PEOPLE.breakglass, 'breakglass', 'Break', 'Glass', 'Emergency Access Account'),
    {
      kind: 'ServicePrincipal',
      id: PEOPLE.accessManager,
      displayName: 'AccessManager',
      appId: ACCESS_MANAGER_APP_ID,
      servicePrincipalType: 'ManagedIdentity',
    },
    {
      kind: 'Group',
      id: GROUPS.weightsApprovers,
      displayName: 'weights-approvers',
      description: 'Approve access to model weights',
      mailNickname: 'weights-approvers',
      memberIds: [PEOPLE.bob, PEOPLE.carol, GROUPS.securityTeam],
    },
    {
      kind: 'Group',
      id: GROUPS.securityTeam,
      displayName: 'security-team',
      description: 'Security and platform administrators',
      mailNickname: 'security-team',
      memberIds: [PEOPLE.erin],
    },
  ];
}

/** UPN of a seeded user (undefined for the app identity and unknown ids), for tokens minted outside the simulator. */
export function seedUpnOf(objectId: string): string | undefined {
  const entry = Object.entries(PEOPLE).find(([, id]) => id.toLowerCase() === objectId.toLowerCase());
  if (!entry || entry[1] === PEOPLE.accessManager) return undefined;
  return `${entry[0]}@${DOMAIN}`;
}

export interface ArmResource {
  id: string;
  name: string;
  type: string;
  location?: string;
  kind?: string;
  sku?: Record<string, unknown>;
  tags?: Record<string, string>;
  properties: Record<string, unknown>;
  [extra: string]: unknown;
}

function resourceGroup(scope: string): ArmResource {
  const name = scope.slice(scope.lastIndexOf('/') + 1);
  return {
    id: scope,
    name,
    type: 'Microsoft.Resources/resourceGroups',
    location: SEED_LOCATION,
    tags: {},
    properties: { provisioningState: 'Succeeded' },
  };
}

/** An approved private endpoint connection, in the shape of the resource provider (`actionRequired` for storage, `actionsRequired` for Key Vault). */
function privateEndpointConnection(resourceId: string, type: string, name: string, storage: boolean): Record<string, unknown> {
  return {
    id: `${resourceId}/privateEndpointConnections/${name}`,
    name,
    type: `${type}/privateEndpointConnections`,
    ...(storage ? {} : { etag: '' }),
    properties: {
      provisioningState: 'Succeeded',
      privateEndpoint: { id: `/subscriptions/${LOCAL_SUBSCRIPTION_ID}/resourceGroups/rg-network/providers/Microsoft.Network/privateEndpoints/${name}` },
      privateLinkServiceConnectionState: { status: 'Approved', description: 'Auto-Approved', ...(storage ? { actionRequired: 'None' } : { actionsRequired: 'None' }) },
    },
  };
}

export function storageAccount(rgScope: string, name: string, tags: Record<string, string> = {}): ArmResource {
  return {
    id: `${rgScope}/providers/Microsoft.Storage/storageAccounts/${name}`,
    name,
    type: 'Microsoft.Storage/storageAccounts',
    location: SEED_LOCATION,
    kind: 'StorageV2',
    sku: { name: 'Standard_LRS', tier: 'Standard' },
    tags,
    properties: {
      provisioningState: 'Succeeded',
      creationTime: SEED_TIME,
      accessTier: 'Hot',
      allowBlobPublicAccess: false,
      allowSharedKeyAccess: false,
      allowCrossTenantReplication: false,
      minimumTlsVersion: 'TLS1_2',
      supportsHttpsTrafficOnly: true,
      publicNetworkAccess: 'Enabled',
      keyCreationTime: { key1: SEED_TIME, key2: SEED_TIME },
      privateEndpointConnections: [],
      isHnsEnabled: false,
      networkAcls: { bypass: 'AzureServices', defaultAction: 'Deny', ipRules: [], virtualNetworkRules: [] },
      encryption: {
        keySource: 'Microsoft.Storage',
        requireInfrastructureEncryption: false,
        services: { blob: { enabled: true, keyType: 'Account' }, file: { enabled: true, keyType: 'Account' } },
      },
      primaryEndpoints: {
        blob: `https://${name}.blob.core.windows.net/`,
        dfs: `https://${name}.dfs.core.windows.net/`,
        queue: `https://${name}.queue.core.windows.net/`,
        table: `https://${name}.table.core.windows.net/`,
      },
      primaryLocation: SEED_LOCATION,
      statusOfPrimary: 'available',
    },
  };
}

function blobContainer(accountId: string, name: string): ArmResource {
  return {
    id: `${accountId}/blobServices/default/containers/${name}`,
    name,
    type: 'Microsoft.Storage/storageAccounts/blobServices/containers',
    etag: '"0x8DC5A1B2C3D4E5F"',
    properties: {
      publicAccess: 'None',
      leaseState: 'Available',
      leaseStatus: 'Unlocked',
      hasImmutabilityPolicy: false,
      hasLegalHold: false,
      deleted: false,
      remainingRetentionDays: 0,
      lastModifiedTime: SEED_TIME,
    },
  };
}

export function keyVault(rgScope: string, name: string): ArmResource {
  return {
    id: `${rgScope}/providers/Microsoft.KeyVault/vaults/${name}`,
    name,
    type: 'Microsoft.KeyVault/vaults',
    location: SEED_LOCATION,
    tags: {},
    properties: {
      tenantId: LOCAL_TENANT_ID,
      sku: { family: 'A', name: 'standard' },
      accessPolicies: [],
      enabledForDeployment: false,
      enabledForDiskEncryption: false,
      enabledForTemplateDeployment: false,
      enableSoftDelete: true,
      softDeleteRetentionInDays: 90,
      // RBAC is the default for vaults created with api-version 2026-02-01 or later; purge protection
      // is off (unset) until someone turns it on, and cannot be turned off again.
      enableRbacAuthorization: true,
      publicNetworkAccess: 'Enabled',
      networkAcls: { bypass: 'AzureServices', defaultAction: 'Deny', ipRules: [], virtualNetworkRules: [] },
      privateEndpointConnections: [],
      vaultUri: `https://${name}.vault.azure.net/`,
      provisioningState: 'Succeeded',
    },
  };
}

/** The subscription's own answer to GET /subscriptions/{id}. */
/** The subscriptions of the local tenant and their display names. */
export const SEED_SUBSCRIPTIONS: ReadonlyMap<string, string> = new Map([
  [LOCAL_SUBSCRIPTION_ID, 'Research (local)'],
  [TRAINING_SUBSCRIPTION_ID, 'Training (local)'],
  [UNGOVERNED_SUBSCRIPTION_ID, 'External (local, not governed)'],
]);

export function seedSubscription(subscriptionId: string = LOCAL_SUBSCRIPTION_ID): Record<string, unknown> {
  const id = subscriptionId.toLowerCase();
  return {
    id: `/subscriptions/${id}`,
    authorizationSource: 'RoleBased',
    managedByTenants: [],
    subscriptionId: id,
    tenantId: LOCAL_TENANT_ID,
    displayName: SEED_SUBSCRIPTIONS.get(id) ?? id,
    state: 'Enabled',
    subscriptionPolicies: { locationPlacementId: 'Public_2014-09-01', quotaId: 'EnterpriseAgreement_2014-09-01', spendingLimit: 'Off' },
  };
}

/** Reached only through a private endpoint: public network access off, as the seed policies require. */
function privateOnly(resource: ArmResource, endpoint: string): ArmResource {
  const storage = resource.type === 'Microsoft.Storage/storageAccounts';
  return {
    ...resource,
    properties: { ...resource.properties, publicNetworkAccess: 'Disabled', privateEndpointConnections: [privateEndpointConnection(resource.id, resource.type, endpoint, storage)] },
  };
}

function withPurgeProtection(vault: ArmResource): ArmResource {
  return { ...vault, properties: { ...vault.properties, enablePurgeProtection: true } };
}

export function seedResources(): ArmResource[] {
  const stweights = privateOnly(storageAccount(RG.weights, 'stweights', { dataClassification: 'restricted' }), 'pe-stweights');
  return [
    resourceGroup(RG.weights),
    resourceGroup(RG.research),
    resourceGroup(RG.sandbox),
    stweights,
    blobContainer(stweights.id, 'checkpoints'),
    storageAccount(RG.research, 'stscratch'),
    withPurgeProtection(privateOnly(keyVault(RG.research, 'kv-research'), 'pe-kv-research')),
    storageAccount(RG.sandbox, 'stsandbox'),
    resourceGroup(RG.training),
    resourceGroup(RG.external),
  ];
}

/** AccessManager's guardrail assignments (Contributor; Key Vault Reader for secret metadata) at the subscription. */
export const APP_GUARDRAILS_ASSIGNMENT_NAME = '7c2d1f8e-4a3b-4d5c-9e6f-18a0c0ffee19';
export const APP_SECRET_METADATA_ASSIGNMENT_NAME = '8d3e2a9f-5b4c-4e6d-8f7a-18a0c0ffee1a';

/** AccessManager's User Access Administrator at the training subscription (governed through mg-research). */
export const APP_TRAINING_ASSIGNMENT_NAME = '5b0d9f6c-2a8e-4b1d-9c4f-18a0c0ffee1b';

export interface SeedAssignment {
  scope: string;
  name: string;
  roleName: string;
  principalId: string;
  principalType: 'User' | 'Group' | 'ServicePrincipal';
  description: string;
}

export const SEED_ASSIGNMENTS: readonly SeedAssignment[] = [
  { scope: SUBSCRIPTION_SCOPE, name: DAVE_BASELINE_ASSIGNMENT_NAME, roleName: 'Owner', principalId: PEOPLE.dave, principalType: 'User', description: 'Platform baseline' },
  { scope: SUBSCRIPTION_SCOPE, name: BREAKGLASS_ASSIGNMENT_NAME, roleName: 'Owner', principalId: PEOPLE.breakglass, principalType: 'User', description: 'Break-glass emergency access' },
  {
    scope: SUBSCRIPTION_SCOPE,
    name: APP_ASSIGNMENT_NAME,
    roleName: 'User Access Administrator',
    principalId: PEOPLE.accessManager,
    principalType: 'ServicePrincipal',
    description: 'AccessManager grants and revokes access',
  },
  // Guardrails: read and correct storage account and vault settings, read secret metadata. Deployed,
  // infra/governedSubscription.bicep gives a narrower custom role; locally two built-in roles stand in.
  {
    scope: SUBSCRIPTION_SCOPE,
    name: APP_GUARDRAILS_ASSIGNMENT_NAME,
    roleName: 'Contributor',
    principalId: PEOPLE.accessManager,
    principalType: 'ServicePrincipal',
    description: 'AccessManager keeps storage account and key vault settings within policy',
  },
  {
    scope: SUBSCRIPTION_SCOPE,
    name: APP_SECRET_METADATA_ASSIGNMENT_NAME,
    roleName: 'Key Vault Reader',
    principalId: PEOPLE.accessManager,
    principalType: 'ServicePrincipal',
    description: 'AccessManager reads secret metadata (never values) to check expiry',
  },
  {
    scope: TRAINING_SUBSCRIPTION_SCOPE,
    name: APP_TRAINING_ASSIGNMENT_NAME,
    roleName: 'User Access Administrator',
    principalId: PEOPLE.accessManager,
    principalType: 'ServicePrincipal',
    description: 'AccessManager grants and revokes access',
  },
];

/** The role definition id of a seeded assignment, in the subscription-scoped form ARM answers with. */
export function seedRoleDefinitionId(roleName: string, subscriptionId: string = LOCAL_SUBSCRIPTION_ID): string {
  const role = findBuiltInRole(roleName) ?? builtInSimRole(roleName);
  if (!role) throw new Error(`seed names an unknown built-in role '${roleName}'`);
  return roleDefinitionId(subscriptionId, role.guid);
}
