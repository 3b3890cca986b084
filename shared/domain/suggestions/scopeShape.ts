/**
 * Which operations a role assignment at a scope can authorise. An assignment at a resource
 * reaches that resource and what lies under it, so at a blob container it can read blobs but not
 * the storage account above it, nor get the account's user-delegation keys. At a resource group or
 * above, every operation applies. Extension resources (role assignments, diagnostic settings,
 * support tickets, ...) sit on any resource, so their providers apply everywhere.
 */
import { normalizeScope } from '../armIds';
import type { OperationShape } from './operations';

export type ScopeLevel = 'root' | 'managementGroup' | 'subscription' | 'resourceGroup' | 'resource';

export interface ScopeShape {
  level: ScopeLevel;
  /** Lower-cased provider namespace of a resource scope. */
  provider?: string;
  /** Lower-cased resource type segments of a resource scope: `storageaccounts/blobservices/containers`. */
  types: string[];
}

/** Providers whose resources are extensions that can sit on any resource. */
const EXTENSION_PROVIDERS = new Set([
  'microsoft.authorization',
  'microsoft.insights',
  'microsoft.support',
  'microsoft.resourcehealth',
  'microsoft.policyinsights',
  'microsoft.security',
  'microsoft.advisor',
]);

export function scopeShape(scope: string): ScopeShape {
  const segments = normalizeScope(scope).split('/').filter((s) => s.length > 0);
  const first = segments[0]?.toLowerCase();
  if (segments.length === 0) return { level: 'root', types: [] };
  if (first === 'providers' && segments[1]?.toLowerCase() === 'microsoft.management') return { level: 'managementGroup', types: [] };
  if (first !== 'subscriptions') return { level: 'root', types: [] };
  if (segments.length <= 2) return { level: 'subscription', types: [] };
  if (segments.length <= 4 || segments[4]?.toLowerCase() !== 'providers') return { level: 'resourceGroup', types: [] };
  const provider = segments[5]?.toLowerCase();
  const types = segments.slice(6).filter((_, i) => i % 2 === 0).map((s) => s.toLowerCase());
  return { level: 'resource', ...(provider ? { provider } : {}), types };
}

/** True when an assignment at a scope of this shape authorises the operation. */
export function appliesAt(op: OperationShape, at: ScopeShape): boolean {
  if (at.level !== 'resource') return true;
  if (EXTENSION_PROVIDERS.has(op.provider)) return true;
  if (op.provider !== at.provider) return false;
  if (op.types.length < at.types.length) return false;
  return at.types.every((t, i) => op.types[i] === t);
}

/** The scope one level up: a child resource's parent, a top-level resource's group, and so on; undefined at the root. */
export function parentScope(scope: string): string | undefined {
  const segments = normalizeScope(scope).split('/').filter((s) => s.length > 0);
  if (segments.length === 0) return undefined;
  if (segments.length <= 2) return '/';
  if (segments.length <= 4) return '/' + segments.slice(0, 2).join('/');
  // .../providers/{ns}/{type}/{name}: a top-level resource's parent is its resource group.
  if (segments.length <= 8) return '/' + segments.slice(0, 4).join('/');
  return '/' + segments.slice(0, -2).join('/');
}

/**
 * The narrowest scope at or above `scope` where every operation applies: unchanged when they all
 * act on the scope or below it, else widened level by level (an operation on the storage account
 * needs the account, not one of its containers).
 */
export function widenFor(scope: string, ops: readonly OperationShape[]): string {
  let current = normalizeScope(scope);
  for (;;) {
    const shape = scopeShape(current);
    if (ops.every((op) => appliesAt(op, shape))) return current;
    const parent = parentScope(current);
    if (parent === undefined) return current;
    current = parent;
  }
}
