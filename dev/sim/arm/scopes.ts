/**
 * Does a scope exist in the simulated tenant? ARM answers 404 with a code naming the
 * missing level (subscription, resource group, resource), so the simulator does too.
 */
import { normalizeScope, scopeKey } from '../../../shared/domain/armIds';
import { SimHttpError } from '../http';
import type { ArmResource } from '../seed';
import { managementGroupName, type ManagementGroup } from './managementGroups';

export type ScopeKind = 'managementGroup' | 'subscription' | 'resourceGroup' | 'resource';

export interface ScopeLookup {
  hasSubscription(id: string): boolean;
  resources: ReadonlyMap<string, ArmResource>;
  managementGroups: ReadonlyMap<string, ManagementGroup>;
}

/** Key Vault objects are data-plane items the simulator does not model; RBAC may still target them. */
const UNMODELLED_CHILDREN = /^(secrets|keys|certificates)$/i;

/** The kind of an existing scope; throws the ARM error a real call would get otherwise. */
export function resolveScope(lookup: ScopeLookup, scope: string): ScopeKind {
  const mg = managementGroupName(scope);
  if (mg) {
    if (!lookup.managementGroups.has(mg.toLowerCase())) {
      throw new SimHttpError(404, 'ManagementGroupNotFound', `The management group '${mg}' could not be found.`);
    }
    return 'managementGroup';
  }
  const segments = normalizeScope(scope).split('/').filter((s) => s.length > 0);
  if (segments.length < 2 || segments[0]?.toLowerCase() !== 'subscriptions') {
    throw new SimHttpError(
      400,
      'InvalidScope',
      `The scope '${normalizeScope(scope)}' is not valid here: use a management group (/providers/Microsoft.Management/managementGroups/<name>), the subscription, a resource group or a resource.`,
    );
  }
  const sub = segments[1] ?? '';
  if (!lookup.hasSubscription(sub)) {
    throw new SimHttpError(404, 'SubscriptionNotFound', `The subscription '${sub}' could not be found.`);
  }
  if (segments.length === 2) return 'subscription';
  if (segments[2]?.toLowerCase() !== 'resourcegroups' || segments.length < 4) {
    throw new SimHttpError(400, 'InvalidScope', `The scope '${normalizeScope(scope)}' is not a resource group or resource scope.`);
  }
  const rgId = '/' + segments.slice(0, 4).join('/');
  if (!lookup.resources.has(scopeKey(rgId))) {
    throw new SimHttpError(404, 'ResourceGroupNotFound', `Resource group '${segments[3]}' could not be found.`);
  }
  if (segments.length === 4) return 'resourceGroup';
  if (segments[4]?.toLowerCase() !== 'providers' || segments.length < 8) {
    throw new SimHttpError(400, 'InvalidScope', `The scope '${normalizeScope(scope)}' is not a valid resource id.`);
  }
  const topId = '/' + segments.slice(0, 8).join('/');
  if (!lookup.resources.has(scopeKey(topId))) throw resourceNotFound(segments);
  if (segments.length === 8 || lookup.resources.has(scopeKey(scope))) return 'resource';
  if (UNMODELLED_CHILDREN.test(segments[8] ?? '')) return 'resource';
  throw resourceNotFound(segments);
}

function resourceNotFound(segments: string[]): SimHttpError {
  const type = `${segments[5]}/${segments.slice(6).filter((_, i) => i % 2 === 0).join('/')}`;
  const name = segments.slice(7).filter((_, i) => i % 2 === 0).join('/');
  return new SimHttpError(
    404,
    'ResourceNotFound',
    `The Resource '${type}/${name}' under resource group '${segments[3]}' was not found. For more details please go to https://aka.ms/ARMResourceNotFoundFix`,
  );
}
