/**
 * What a deployment governs, as the hooks see it: the subscriptions that need AccessManager's
 * roles and an Event Grid subscription topic, and which policies fit. The settings are the app's
 * own (GOVERNED_SUBSCRIPTION_ID, else the subscription deployed to, then GOVERNED_SUBSCRIPTION_IDS
 * and GOVERNED_MANAGEMENT_GROUP), decoded by the app's schema and judged by the app's rule
 * (shared/domain/governance.ts); for a management group, ARM lists what lies under it.
 * `readDescendants` is the one call to Azure.
 */
import { settingsSchema } from '../shared/config';
import { classifyDescendants, governedScopes, isGoverned, type DescendantEntry, type GovernedScopes } from '../shared/domain/governance';
import type { Policy } from '../shared/domain/policy';
import { az } from './azureCli';

export interface DeploymentScopes {
  /** Lower-case subscription ids: the first is the default one (AZURE_SUBSCRIPTION_ID of the app). */
  subscriptions: string[];
  /** As the app judges scopes. */
  governed: GovernedScopes;
}

/** One setting decoded as the app decodes it; a clear error naming it otherwise. */
function setting<K extends 'AZURE_SUBSCRIPTION_ID' | 'GOVERNED_SUBSCRIPTION_IDS' | 'GOVERNED_MANAGEMENT_GROUP'>(name: K, label: string, value: string | undefined) {
  const parsed = settingsSchema.shape[name].safeParse(value?.trim() ? value.trim() : undefined);
  if (!parsed.success) throw new Error(`${label} is not valid (${JSON.stringify(value)}): ${parsed.error.issues.map((i) => i.message).join('; ')}.`);
  return parsed.data as ReturnType<(typeof settingsSchema.shape)[K]['parse']>;
}

/** The entries of a descendants listing (`{value: [...]}`); anything else names nothing. */
function entriesOf(listing: unknown): DescendantEntry[] {
  const value = (listing as { value?: unknown } | null)?.value;
  return Array.isArray(value) ? value.filter((e): e is DescendantEntry => typeof e?.id === 'string' && typeof e?.type === 'string') : [];
}

export function deploymentScopes(
  env: Record<string, string | undefined>,
  deploymentSubscription: string,
  readDescendants: (groupScope: string) => unknown = () => ({ value: [] }),
): DeploymentScopes {
  const defaultSubscription = setting('AZURE_SUBSCRIPTION_ID', 'GOVERNED_SUBSCRIPTION_ID', env.GOVERNED_SUBSCRIPTION_ID || deploymentSubscription).toLowerCase();
  const listed = setting('GOVERNED_SUBSCRIPTION_IDS', 'GOVERNED_SUBSCRIPTION_IDS', env.GOVERNED_SUBSCRIPTION_IDS);
  const group = setting('GOVERNED_MANAGEMENT_GROUP', 'GOVERNED_MANAGEMENT_GROUP', env.GOVERNED_MANAGEMENT_GROUP);
  const under = group ? classifyDescendants(entriesOf(readDescendants(group))) : undefined;
  const governed = governedScopes({
    defaultSubscription,
    subscriptions: listed,
    ...(group && under ? { managementGroup: { scope: group, subscriptions: under.subscriptions, groups: under.groups } } : {}),
  });
  return { subscriptions: [...governed.subscriptions], governed };
}

/** Policies whose scope lies outside the governed subscriptions and management groups (none may). */
export function policiesOutside(policies: readonly Policy[], scopes: DeploymentScopes): Policy[] {
  return policies.filter((p) => !isGoverned(scopes.governed, p.scope));
}

/**
 * ARM's listing of everything under a management group, every page, read as the deployer through
 * the Azure CLI (a URL without a host goes to the current cloud's ARM endpoint).
 */
export function readDescendants(groupScope: string): unknown {
  const value: unknown[] = [];
  let url: string | undefined = `${groupScope}/descendants?api-version=2020-05-01`;
  while (url) {
    const page = az(['rest', '--method', 'get', '--url', url]) as { value?: unknown[]; nextLink?: string | null } | null;
    value.push(...(page?.value ?? []));
    url = page?.nextLink ?? undefined;
  }
  return { value };
}
