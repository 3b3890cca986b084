/**
 * The settings of storage accounts and key vaults a policy can guard, by their ARM wire names
 * (what policy authors, Azure Policy and the REST API call them): what values they take, what
 * Azure reads a missing value as, the locked-down value, and which ones may never be changed
 * automatically because changing them can break clients.
 */

export type GuardedResourceKind = 'storageAccount' | 'keyVault';

/** A guarded setting's value as read from ARM: a boolean, an enum string, or null when unset. */
export type PropertyValue = string | boolean | null;

export interface GuardedProperty {
  name: string;
  kind: GuardedResourceKind;
  /** `boolean`, or the strings ARM uses (in order of strength for `atLeast`). */
  values: 'boolean' | readonly string[];
  /** The values a policy may require (the locked-down ones); the first is the default. */
  secure: readonly (string | boolean)[];
  /** What Azure reads a missing value as; undefined when it changed across API versions (unset counts as not compliant). */
  absentMeans?: string | boolean;
  /** `atLeast`: a stronger value (later in `values`) also complies (TLS versions). */
  compare: 'equal' | 'atLeast';
  /** Set when AccessManager must never change it itself: why a human decides. */
  humanOnly?: string;
  /** Changing it is safe only while an approved private endpoint keeps private clients connected. */
  needsPrivateEndpoint?: boolean;
  /** What the setting means, for messages and alerts. */
  label: string;
}

const SHARED_KEY_REASON =
  'turning shared key access off breaks every client that signs with an account key or an account-key SAS (Azure Policy has no Modify effect for it either): a human decides when';
const RBAC_REASON = 'switching a vault to the RBAC permission model drops every access policy at once and can cut off the applications that rely on them: a human decides when';

export const GUARDED_PROPERTIES: readonly GuardedProperty[] = [
  {
    name: 'allowBlobPublicAccess',
    kind: 'storageAccount',
    values: 'boolean',
    secure: [false],
    compare: 'equal',
    label: 'anonymous (public) blob access',
  },
  {
    name: 'allowSharedKeyAccess',
    kind: 'storageAccount',
    values: 'boolean',
    secure: [false],
    absentMeans: true,
    compare: 'equal',
    humanOnly: SHARED_KEY_REASON,
    label: 'shared key (account key and account-key SAS) access',
  },
  {
    name: 'publicNetworkAccess',
    kind: 'storageAccount',
    values: ['Enabled', 'Disabled', 'SecuredByPerimeter'],
    secure: ['Disabled', 'SecuredByPerimeter'],
    absentMeans: 'Enabled',
    compare: 'equal',
    needsPrivateEndpoint: true,
    label: 'public network access',
  },
  {
    name: 'networkAcls.defaultAction',
    kind: 'storageAccount',
    values: ['Allow', 'Deny'],
    secure: ['Deny'],
    absentMeans: 'Allow',
    compare: 'equal',
    needsPrivateEndpoint: true,
    label: 'the firewall default action',
  },
  {
    name: 'minimumTlsVersion',
    kind: 'storageAccount',
    values: ['TLS1_0', 'TLS1_1', 'TLS1_2', 'TLS1_3'],
    secure: ['TLS1_2', 'TLS1_3'],
    absentMeans: 'TLS1_0',
    compare: 'atLeast',
    label: 'the minimum TLS version',
  },
  {
    name: 'supportsHttpsTrafficOnly',
    kind: 'storageAccount',
    values: 'boolean',
    secure: [true],
    compare: 'equal',
    label: 'secure transfer (HTTPS only)',
  },
  {
    name: 'allowCrossTenantReplication',
    kind: 'storageAccount',
    values: 'boolean',
    secure: [false],
    compare: 'equal',
    label: 'object replication to other tenants',
  },
  {
    name: 'enableRbacAuthorization',
    kind: 'keyVault',
    values: 'boolean',
    secure: [true],
    absentMeans: false,
    compare: 'equal',
    humanOnly: RBAC_REASON,
    label: 'the RBAC permission model (in access-policy mode anyone who can write the vault can grant themselves its secrets)',
  },
  {
    name: 'enablePurgeProtection',
    kind: 'keyVault',
    values: 'boolean',
    secure: [true],
    absentMeans: false,
    compare: 'equal',
    label: 'purge protection',
  },
  {
    name: 'publicNetworkAccess',
    kind: 'keyVault',
    values: ['Enabled', 'Disabled'],
    secure: ['Disabled'],
    absentMeans: 'Enabled',
    compare: 'equal',
    needsPrivateEndpoint: true,
    label: 'public network access',
  },
  {
    name: 'networkAcls.defaultAction',
    kind: 'keyVault',
    values: ['Allow', 'Deny'],
    secure: ['Deny'],
    absentMeans: 'Allow',
    compare: 'equal',
    needsPrivateEndpoint: true,
    label: 'the firewall default action',
  },
  {
    // Observed as `none` or `present`. Only judged while the vault is in RBAC mode, where access
    // policies do nothing yet come back into force the moment RBAC is switched off.
    name: 'accessPolicies',
    kind: 'keyVault',
    values: ['none', 'present'],
    secure: ['none'],
    compare: 'equal',
    label: 'access policies left behind in RBAC mode',
  },
];

export function guardedProperty(kind: GuardedResourceKind, name: string): GuardedProperty | undefined {
  return GUARDED_PROPERTIES.find((p) => p.kind === kind && p.name === name);
}

export function guardedPropertyNames(kind: GuardedResourceKind): string[] {
  return GUARDED_PROPERTIES.filter((p) => p.kind === kind).map((p) => p.name);
}

/** True when `value` is one a resource can hold for the property (exception requests ask for one). */
export function isPossibleValue(property: GuardedProperty, value: unknown): value is string | boolean {
  if (property.values === 'boolean') return typeof value === 'boolean';
  return typeof value === 'string' && property.values.includes(value);
}

/** The value as compared: a missing value is what Azure reads it as (or stays null when that is not fixed). */
export function effectiveValue(property: GuardedProperty, observed: PropertyValue): PropertyValue {
  return observed === null ? (property.absentMeans ?? null) : observed;
}

/** Does an observed value satisfy the required one? */
export function complies(property: GuardedProperty, required: string | boolean, observed: PropertyValue): boolean {
  const value = effectiveValue(property, observed);
  if (value === null) return false;
  if (property.compare === 'atLeast' && Array.isArray(property.values)) {
    const list = property.values as readonly string[];
    const have = typeof value === 'string' ? list.indexOf(value) : -1;
    const need = typeof required === 'string' ? list.indexOf(required) : -1;
    return have >= 0 && need >= 0 && have >= need;
  }
  return value === required;
}

/** A value as text for keys and messages: `true`, `Disabled`, `unset`. */
export function showValue(value: PropertyValue): string {
  return value === null ? 'unset' : String(value);
}

const TOP_RESOURCE = /^(\/subscriptions\/[^/]+\/resourceGroups\/[^/]+\/providers\/(Microsoft\.Storage\/storageAccounts|Microsoft\.KeyVault\/vaults)\/[^/]+)(\/.*)?$/i;

export interface GuardedResourceRef {
  /** The account or vault id (the part of a child id that names it), normalized. */
  id: string;
  kind: GuardedResourceKind;
  name: string;
  resourceGroup: string;
  subscriptionId: string;
}

/**
 * The storage account or vault an id names or lies under (`.../vaults/kv/accessPolicies/add`
 * names kv-research); undefined for anything else (a deployment's temporary URI, another type).
 */
export function guardedResourceOf(id: string): GuardedResourceRef | undefined {
  const normalized = '/' + id.split('/').filter((s) => s.length > 0).join('/');
  const m = TOP_RESOURCE.exec(normalized);
  if (!m || !m[1] || !m[2]) return undefined;
  const segments = m[1].split('/');
  return {
    id: m[1],
    kind: m[2].toLowerCase() === 'microsoft.storage/storageaccounts' ? 'storageAccount' : 'keyVault',
    name: segments[8] ?? '',
    resourceGroup: segments[4] ?? '',
    subscriptionId: (segments[2] ?? '').toLowerCase(),
  };
}
