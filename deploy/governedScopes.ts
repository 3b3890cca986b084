/**
 * What a deployment governs, as the hooks see it: the subscriptions that need AccessManager's
 * roles and an Event Grid subscription topic, and the management groups policies may name.
 * From the azd environment (GOVERNED_SUBSCRIPTION_ID, GOVERNED_SUBSCRIPTION_IDS,
 * GOVERNED_MANAGEMENT_GROUP, the same settings the app reads) and, for a management group, what
 * ARM lists under it. The planning is pure; `readDescendants` is the one call to Azure.
 */
import { isGuid, isManagementGroupScope, scopeKey, subscriptionOf } from '../shared/domain/armIds';
import type { Policy } from '../shared/domain/policy';
import { az } from './azureCli';

export interface DeploymentScopes {
  /** Lower-case subscription ids: the first is the default one (AZURE_SUBSCRIPTION_ID of the app). */
  subscriptions: string[];
  /** Scope keys of the governed management group and every group under it. */
  managementGroups: string[];
}

/** The management group's name from GOVERNED_MANAGEMENT_GROUP (a name, or its full id). */
export function managementGroupName(value: string | undefined): string | undefined {
  const v = value?.trim();
  if (!v) return undefined;
  const name = /^\/providers\/Microsoft\.Management\/managementGroups\/([^/]+)$/i.exec(v)?.[1] ?? v;
  if (!/^[A-Za-z0-9._()-]{1,90}$/.test(name)) throw new Error(`GOVERNED_MANAGEMENT_GROUP must be a management group name or its id (got ${JSON.stringify(value)}).`);
  return name;
}

function subscriptionList(value: string | undefined, setting: string): string[] {
  const ids = (value ?? '').split(',').map((s) => s.trim().toLowerCase()).filter((s) => s.length > 0);
  const bad = ids.filter((id) => !isGuid(id));
  if (bad.length > 0) throw new Error(`${setting} must be subscription ids, comma-separated (not ${bad.map((b) => JSON.stringify(b)).join(', ')}).`);
  return ids;
}

/** An entry of `GET /providers/Microsoft.Management/managementGroups/{name}/descendants`. */
interface Descendant {
  id?: string;
  type?: string;
  name?: string;
}

/** The subscriptions and groups a descendants listing names (subscriptions by id, groups by scope key). */
export function fromDescendants(groupName: string, listing: unknown): { subscriptions: string[]; managementGroups: string[] } {
  const entries = ((listing as { value?: unknown } | null)?.value ?? []) as Descendant[];
  const subscriptions: string[] = [];
  const managementGroups = [scopeKey(`/providers/Microsoft.Management/managementGroups/${groupName}`)];
  for (const e of entries) {
    const type = (e.type ?? '').toLowerCase();
    if (type.endsWith('/subscriptions') && e.name && isGuid(e.name)) subscriptions.push(e.name.toLowerCase());
    else if (type === 'microsoft.management/managementgroups' && e.id) managementGroups.push(scopeKey(e.id));
  }
  return { subscriptions, managementGroups };
}

/**
 * The governed scopes: the default subscription (GOVERNED_SUBSCRIPTION_ID, else the one deployed
 * to), the listed ones, and, with a management group, every subscription and group under it.
 */
export function deploymentScopes(
  env: Record<string, string | undefined>,
  deploymentSubscription: string,
  readDescendants: (groupName: string) => unknown = () => ({ value: [] }),
): DeploymentScopes {
  const first = subscriptionList(env.GOVERNED_SUBSCRIPTION_ID || deploymentSubscription, 'GOVERNED_SUBSCRIPTION_ID');
  const subscriptions = new Set([...first, ...subscriptionList(env.GOVERNED_SUBSCRIPTION_IDS, 'GOVERNED_SUBSCRIPTION_IDS')]);
  const group = managementGroupName(env.GOVERNED_MANAGEMENT_GROUP);
  const managementGroups: string[] = [];
  if (group) {
    const under = fromDescendants(group, readDescendants(group));
    for (const s of under.subscriptions) subscriptions.add(s);
    managementGroups.push(...under.managementGroups);
  }
  return { subscriptions: [...subscriptions], managementGroups };
}

/** Policies whose scope lies outside the governed subscriptions and management groups (none may). */
export function policiesOutside(policies: readonly Policy[], scopes: DeploymentScopes): Policy[] {
  return policies.filter((p) =>
    isManagementGroupScope(p.scope) ? !scopes.managementGroups.includes(scopeKey(p.scope)) : !scopes.subscriptions.includes(subscriptionOf(p.scope) ?? ''),
  );
}

/**
 * ARM's listing of everything under a management group, every page, read as the deployer through
 * the Azure CLI (a URL without a host goes to the current cloud's ARM endpoint).
 */
export function readDescendants(groupName: string): unknown {
  const value: unknown[] = [];
  let url: string | undefined = `/providers/Microsoft.Management/managementGroups/${groupName}/descendants?api-version=2020-05-01`;
  while (url) {
    const page = az(['rest', '--method', 'get', '--url', url]) as { value?: unknown[]; nextLink?: string | null } | null;
    value.push(...(page?.value ?? []));
    url = page?.nextLink ?? undefined;
  }
  return { value };
}
