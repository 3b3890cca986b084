/**
 * Management groups above the subscription: the hierarchy (tenant root group, `mg-research`,
 * the subscription under it) and what lies at and above a scope (how ARM decides which role
 * assignments apply there). The read API is in ./managementGroupApi.
 */
import { normalizeScope, scopeKey } from '../../../shared/domain/armIds';

export const MG_PREFIX = '/providers/Microsoft.Management/managementGroups/';

export interface ManagementGroup {
  /** The group's name (its id's last segment); the tenant root group is named after the tenant id. */
  name: string;
  displayName: string;
  /** Name of the parent group; undefined for the tenant root group. */
  parent?: string;
  /** Subscription ids directly under this group. */
  subscriptions: string[];
}

export function managementGroupId(name: string): string {
  return `${MG_PREFIX}${name}`;
}

/** The group name of a management group scope, or undefined when `scope` is not one. */
export function managementGroupName(scope: string): string | undefined {
  const m = /^\/providers\/Microsoft\.Management\/managementGroups\/([^/]+)$/i.exec(normalizeScope(scope));
  return m?.[1];
}

export interface Hierarchy {
  managementGroups: ReadonlyMap<string, ManagementGroup>;
}

export function groupOf(h: Hierarchy, name: string): ManagementGroup | undefined {
  return h.managementGroups.get(name.toLowerCase());
}

/** The group holding a subscription directly. */
function parentOfSubscription(h: Hierarchy, subscriptionId: string): ManagementGroup | undefined {
  const id = subscriptionId.toLowerCase();
  for (const g of h.managementGroups.values()) if (g.subscriptions.some((s) => s.toLowerCase() === id)) return g;
  return undefined;
}

function groupChain(h: Hierarchy, first: ManagementGroup | undefined): string[] {
  const out: string[] = [];
  const seen = new Set<string>();
  for (let g = first; g && !seen.has(g.name.toLowerCase()); g = g.parent ? groupOf(h, g.parent) : undefined) {
    seen.add(g.name.toLowerCase());
    out.push(scopeKey(managementGroupId(g.name)));
  }
  return out;
}

/**
 * Scope keys at and above `scope`, nearest first: the scope, its resource group and subscription,
 * the management groups above the subscription up to the tenant root group, and `/`.
 */
export function ancestry(h: Hierarchy, scope: string): string[] {
  const key = scopeKey(scope);
  if (key === '/') return ['/'];
  const mg = managementGroupName(key);
  if (mg) return [...groupChain(h, groupOf(h, mg)), '/'];
  const segments = key.split('/').filter((s) => s.length > 0);
  const out: string[] = [];
  for (let n = segments.length; n >= 2; n--) {
    // Resource ids alternate type and name; only whole (type, name) levels are scopes.
    if (n > 2 && n % 2 !== 0) continue;
    out.push('/' + segments.slice(0, n).join('/'));
  }
  const sub = segments[0] === 'subscriptions' ? segments[1] : undefined;
  if (sub) out.push(...groupChain(h, parentOfSubscription(h, sub)));
  out.push('/');
  return out;
}

