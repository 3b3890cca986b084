/**
 * The governed scopes: the subscriptions (and management groups) AccessManager acts in. From
 * configuration (GOVERNED_MANAGEMENT_GROUP, GOVERNED_SUBSCRIPTION_IDS, AZURE_SUBSCRIPTION_ID) and,
 * for a management group, what ARM says lies under it. Without GOVERNED_* settings the single
 * subscription of AZURE_SUBSCRIPTION_ID is the default and, as before, the policies' own reach
 * (the subscriptions and management groups they name) is governed too. Pure: no I/O.
 */
import { isManagementGroupScope, normalizeScope, scopeKey, subscriptionOf } from './armIds';

export interface GovernedScopes {
  /** True when GOVERNED_* settings name the scopes; false for the single-subscription default. */
  explicit: boolean;
  /** Lower-case subscription ids. */
  subscriptions: ReadonlySet<string>;
  /** Scope keys of governed management groups (the configured one and every group under it). */
  managementGroups: ReadonlySet<string>;
}

export interface GovernanceInput {
  defaultSubscription: string;
  subscriptions: readonly string[];
  /** The configured management group (scope) and what ARM listed under it. */
  managementGroup?: { scope: string; subscriptions: readonly string[]; groups: readonly string[] };
  /** Single-subscription default only: the policies' scopes and the subscriptions under their management groups. */
  policyReach?: { scopes: readonly string[]; subscriptions: readonly string[] };
}

export function governedScopes(input: GovernanceInput): GovernedScopes {
  const explicit = input.subscriptions.length > 0 || input.managementGroup !== undefined;
  const subscriptions = new Set([input.defaultSubscription, ...input.subscriptions].map((s) => s.toLowerCase()));
  const managementGroups = new Set<string>();
  if (input.managementGroup) {
    managementGroups.add(scopeKey(input.managementGroup.scope));
    for (const g of input.managementGroup.groups) managementGroups.add(scopeKey(g));
    for (const s of input.managementGroup.subscriptions) subscriptions.add(s.toLowerCase());
  }
  if (!explicit && input.policyReach) {
    for (const s of input.policyReach.subscriptions) subscriptions.add(s.toLowerCase());
    for (const scope of input.policyReach.scopes) {
      if (isManagementGroupScope(scope)) managementGroups.add(scopeKey(scope));
      else {
        const sub = subscriptionOf(scope);
        if (sub) subscriptions.add(sub);
      }
    }
  }
  return { explicit, subscriptions, managementGroups };
}

/** True when `scope` lies in a governed subscription or is a governed management group. */
export function isGoverned(governed: GovernedScopes, scope: string): boolean {
  if (isManagementGroupScope(scope)) return governed.managementGroups.has(scopeKey(scope));
  const sub = subscriptionOf(scope);
  return sub !== undefined && governed.subscriptions.has(sub);
}

/** True when events of this subscription are AccessManager's to handle. */
export function isGovernedSubscription(governed: GovernedScopes, subscriptionId: string | undefined): boolean {
  return subscriptionId !== undefined && governed.subscriptions.has(subscriptionId.toLowerCase());
}

/** The governed subscriptions as scopes, sorted: what an unscoped access view or a reconcile lists. */
export function governedSubscriptionScopes(governed: GovernedScopes): string[] {
  return [...governed.subscriptions].sort().map((s) => `/subscriptions/${s}`);
}

/** Policies whose scope lies outside the governed scopes: start-up refuses them (explicit settings only). */
export function policiesOutside(governed: GovernedScopes, policies: ReadonlyArray<{ id: string; scope: string }>): string[] {
  if (!governed.explicit) return [];
  return policies.filter((p) => !isGoverned(governed, p.scope)).map((p) => `${p.id} (${p.scope})`);
}

/** One entry of ARM's `GET .../managementGroups/{name}/descendants` listing. */
export interface DescendantEntry {
  id: string;
  type: string;
}

/** What a descendants listing names: subscriptions (lower-case ids) and management groups (scopes). */
export function classifyDescendants(entries: readonly DescendantEntry[]): { subscriptions: string[]; groups: string[] } {
  const subscriptions: string[] = [];
  const groups: string[] = [];
  for (const d of entries) {
    const sub = /^\/subscriptions\/([^/]+)$/i.exec(normalizeScope(d.id))?.[1];
    if (sub) subscriptions.push(sub.toLowerCase());
    else if (/managementGroups$/i.test(d.type)) groups.push(normalizeScope(d.id));
  }
  return { subscriptions, groups };
}
