/**
 * GuardedResources over ARM with the real management SDKs: `@azure/arm-storage` for storage
 * accounts (its SDK names differ from the wire: networkRuleSet is networkAcls,
 * enableHttpsTrafficOnly is supportsHttpsTrafficOnly) and `@azure/arm-keyvault` for vaults. A
 * client per subscription, built on first use. Writes PATCH only the settings asked for; network
 * rules are written back whole with only the default action changed, so no IP or virtual network
 * rule is lost whatever ARM's PATCH semantics for the sub-object.
 */
import type { TokenCredential } from '@azure/core-auth';
import type { PipelinePolicy } from '@azure/core-rest-pipeline';
import { StorageManagementClient, type StorageAccount, type StorageAccountUpdateParameters } from '@azure/arm-storage';
import { KeyVaultManagementClient, type AccessPolicyEntry, type Vault, type VaultPatchProperties } from '@azure/arm-keyvault';
import { normalizeScope } from '../../domain/armIds';
import { NotFoundError, ValidationError } from '../../domain/errors';
import { guardedResourceOf, type GuardedResourceKind, type GuardedResourceRef, type PropertyValue } from '../../domain/guardrails/properties';
import type { GuardedResources, GuardedResourceSnapshot, PropertyChange } from '../../ports/guardrails';
import { toAzureError } from './armErrors';

export interface ArmClientSettings {
  credential: TokenCredential;
  endpoint: string;
  /** PEM to trust (the local simulator). */
  ca?: string;
  /** Extra per-call pipeline policies (benchmark counting). */
  policies?: PipelinePolicy[];
}

const orNull = (v: unknown): PropertyValue => (typeof v === 'string' || typeof v === 'boolean' ? v : null);

const approved = (connections: ReadonlyArray<{ privateLinkServiceConnectionState?: { status?: string }; provisioningState?: string }> | undefined): boolean =>
  (connections ?? []).some((c) => c.privateLinkServiceConnectionState?.status?.toLowerCase() === 'approved' && (c.provisioningState ?? 'Succeeded').toLowerCase() === 'succeeded');

function fromStorage(a: StorageAccount): GuardedResourceSnapshot {
  if (!a.id || !a.name) throw new ValidationError(`ARM answered a storage account without id or name`, 'AzureBadAnswer');
  return {
    id: normalizeScope(a.id),
    name: a.name,
    kind: 'storageAccount',
    values: {
      allowBlobPublicAccess: orNull(a.allowBlobPublicAccess),
      allowSharedKeyAccess: orNull(a.allowSharedKeyAccess),
      publicNetworkAccess: orNull(a.publicNetworkAccess),
      'networkAcls.defaultAction': orNull(a.networkRuleSet?.defaultAction),
      minimumTlsVersion: orNull(a.minimumTlsVersion),
      supportsHttpsTrafficOnly: orNull(a.enableHttpsTrafficOnly),
      allowCrossTenantReplication: orNull(a.allowCrossTenantReplication),
    },
    approvedPrivateEndpoint: approved(a.privateEndpointConnections),
    raw: a,
  };
}

function fromVault(v: Vault): GuardedResourceSnapshot {
  if (!v.id || !v.name) throw new ValidationError(`ARM answered a key vault without id or name`, 'AzureBadAnswer');
  const p = v.properties;
  return {
    id: normalizeScope(v.id),
    name: v.name,
    kind: 'keyVault',
    values: {
      enableRbacAuthorization: orNull(p.enableRbacAuthorization),
      enablePurgeProtection: orNull(p.enablePurgeProtection),
      publicNetworkAccess: orNull(p.publicNetworkAccess),
      'networkAcls.defaultAction': orNull(p.networkAcls?.defaultAction),
      accessPolicies: (p.accessPolicies?.length ?? 0) > 0 ? 'present' : 'none',
    },
    approvedPrivateEndpoint: approved(p.privateEndpointConnections),
    ...(p.vaultUri ? { vaultUri: p.vaultUri } : {}),
    raw: v,
  };
}

function storagePatch(snapshot: GuardedResourceSnapshot, changes: readonly PropertyChange[]): StorageAccountUpdateParameters {
  const current = snapshot.raw as StorageAccount;
  const params: StorageAccountUpdateParameters = {};
  for (const { property, value } of changes) {
    switch (property) {
      case 'allowBlobPublicAccess':
      case 'allowSharedKeyAccess':
      case 'allowCrossTenantReplication':
        params[property] = value as boolean;
        break;
      case 'supportsHttpsTrafficOnly':
        params.enableHttpsTrafficOnly = value as boolean;
        break;
      case 'publicNetworkAccess':
        params.publicNetworkAccess = value as string;
        break;
      case 'minimumTlsVersion':
        params.minimumTlsVersion = value as string;
        break;
      case 'networkAcls.defaultAction':
        params.networkRuleSet = { ...(current.networkRuleSet ?? { bypass: 'AzureServices' }), defaultAction: value as 'Allow' | 'Deny' };
        break;
      default:
        throw new ValidationError(`No way to set ${property} on a storage account`, 'GuardrailUnknownSetting');
    }
  }
  return params;
}

function vaultPatch(snapshot: GuardedResourceSnapshot, changes: readonly PropertyChange[]): VaultPatchProperties {
  const current = (snapshot.raw as Vault).properties;
  const props: VaultPatchProperties = {};
  for (const { property, value } of changes) {
    switch (property) {
      case 'enableRbacAuthorization':
      case 'enablePurgeProtection':
        props[property] = value as boolean;
        break;
      case 'publicNetworkAccess':
        props.publicNetworkAccess = value as string;
        break;
      case 'networkAcls.defaultAction':
        props.networkAcls = { ...(current.networkAcls ?? { bypass: 'AzureServices' }), defaultAction: value as 'Allow' | 'Deny' };
        break;
      case 'accessPolicies':
        break; // removed separately, entry by entry
      default:
        throw new ValidationError(`No way to set ${property} on a key vault`, 'GuardrailUnknownSetting');
    }
  }
  return props;
}

export class ArmGuardedResources implements GuardedResources {
  private readonly storage = new Map<string, StorageManagementClient>();
  private readonly vaults = new Map<string, KeyVaultManagementClient>();

  constructor(private readonly settings: ArmClientSettings) {}

  private options() {
    const s = this.settings;
    return {
      endpoint: s.endpoint,
      // Fail fast and let Event Grid (or the timer) redeliver, as the authorization client does.
      retryOptions: { maxRetries: 3, retryDelayInMs: 200, maxRetryDelayInMs: 2000 },
      ...(s.ca ? { tlsOptions: { ca: s.ca } } : {}),
      ...(s.policies?.length ? { additionalPolicies: s.policies.map((policy) => ({ policy, position: 'perCall' as const })) } : {}),
    };
  }

  private storageClient(subscriptionId: string): StorageManagementClient {
    let client = this.storage.get(subscriptionId);
    if (!client) {
      client = new StorageManagementClient(this.settings.credential, subscriptionId, this.options());
      this.storage.set(subscriptionId, client);
    }
    return client;
  }

  private vaultClient(subscriptionId: string): KeyVaultManagementClient {
    let client = this.vaults.get(subscriptionId);
    if (!client) {
      client = new KeyVaultManagementClient(this.settings.credential, subscriptionId, this.options());
      this.vaults.set(subscriptionId, client);
    }
    return client;
  }

  async get(ref: GuardedResourceRef): Promise<GuardedResourceSnapshot | undefined> {
    try {
      return ref.kind === 'storageAccount'
        ? fromStorage(await this.storageClient(ref.subscriptionId).storageAccounts.getProperties(ref.resourceGroup, ref.name))
        : fromVault(await this.vaultClient(ref.subscriptionId).vaults.get(ref.resourceGroup, ref.name));
    } catch (err) {
      const mapped = toAzureError(err, `Reading ${ref.id}`);
      if (mapped instanceof NotFoundError) return undefined;
      throw mapped;
    }
  }

  async apply(snapshot: GuardedResourceSnapshot, changes: readonly PropertyChange[]): Promise<GuardedResourceSnapshot> {
    const ref = guardedResourceOf(snapshot.id);
    if (!ref) throw new ValidationError(`${snapshot.id} is not a storage account or key vault id`, 'GuardrailNotAResource');
    const what = `Changing ${changes.map((c) => `${c.property} to ${String(c.value)}`).join(', ')} on ${snapshot.id}`;
    try {
      if (ref.kind === 'storageAccount') {
        return fromStorage(await this.storageClient(ref.subscriptionId).storageAccounts.update(ref.resourceGroup, ref.name, storagePatch(snapshot, changes)));
      }
      const client = this.vaultClient(ref.subscriptionId);
      let result = snapshot;
      const properties = vaultPatch(snapshot, changes);
      if (Object.keys(properties).length > 0) result = fromVault(await client.vaults.update(ref.resourceGroup, ref.name, { properties }));
      if (changes.some((c) => c.property === 'accessPolicies')) {
        const entries: AccessPolicyEntry[] = (snapshot.raw as Vault).properties.accessPolicies ?? [];
        const left = await client.vaults.updateAccessPolicy(ref.resourceGroup, ref.name, 'remove', { properties: { accessPolicies: entries } });
        result = { ...result, values: { ...result.values, accessPolicies: left.properties.accessPolicies.length > 0 ? 'present' : 'none' } };
      }
      return result;
    } catch (err) {
      throw toAzureError(err, what);
    }
  }

  async *list(scope: string, kind: GuardedResourceKind): AsyncIterable<GuardedResourceSnapshot[]> {
    const segments = normalizeScope(scope).split('/').filter((s) => s.length > 0);
    const subscriptionId = (segments[1] ?? '').toLowerCase();
    const resourceGroup = segments[2]?.toLowerCase() === 'resourcegroups' ? segments[3] : undefined;
    try {
      if (kind === 'storageAccount') {
        const accounts = this.storageClient(subscriptionId).storageAccounts;
        const pages = resourceGroup ? accounts.listByResourceGroup(resourceGroup).byPage() : accounts.list().byPage();
        for await (const page of pages) yield page.map(fromStorage);
      } else {
        const vaults = this.vaultClient(subscriptionId).vaults;
        const pages = resourceGroup ? vaults.listByResourceGroup(resourceGroup).byPage() : vaults.listBySubscription().byPage();
        for await (const page of pages) yield page.map(fromVault);
      }
    } catch (err) {
      throw toAzureError(err, `Listing ${kind === 'storageAccount' ? 'storage accounts' : 'key vaults'} in ${scope}`);
    }
  }
}
