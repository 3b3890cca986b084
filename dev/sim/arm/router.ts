/**
 * Routes an ARM request (paths at the root, already normalised) to its handler. Role
 * assignment and definition routes are matched at any scope, including the by-id forms
 * the SDK sends (`//{roleAssignmentId}`).
 */
import { resolveCaller } from '../caller';
import { queryParam, SimHttpError, type SimReply, type SimRequest } from '../http';
import type { ArmContext, ArmDeps } from './context';
import { getSubscription, listResourceGroups, listResources, resourceItem } from './resources';
import { storageAccountList, storageAccountRoute } from './storageAccounts';
import { keyVaultList, keyVaultRoute } from './keyVaults';
import { roleAssignmentItem, roleAssignmentList } from './roleAssignments';
import { providerOperations, roleDefinitionItem, roleDefinitionList } from './roleDefinitions';
import { managementGroupRead } from './managementGroupApi';
import { listPermissions } from './permissions';

const RA_ITEM = /^(.*)\/providers\/Microsoft\.Authorization\/roleAssignments\/([^/]+)$/i;
const RA_LIST = /^(.*)\/providers\/Microsoft\.Authorization\/roleAssignments$/i;
const RD_ITEM = /^(.*)\/providers\/Microsoft\.Authorization\/roleDefinitions\/([^/]+)$/i;
const RD_LIST = /^(.*)\/providers\/Microsoft\.Authorization\/roleDefinitions$/i;
const PERMISSIONS = /^(.*)\/providers\/Microsoft\.Authorization\/permissions$/i;
const MG_ITEM = /^\/providers\/Microsoft\.Management\/managementGroups\/([^/]+)(\/descendants)?$/i;
const PROVIDER_OPERATIONS = /^\/providers\/Microsoft\.Authorization\/providerOperations(?:\/([^/]+))?$/i;
const SUBSCRIPTION = /^\/subscriptions\/([^/]+)$/i;
const RG_LIST = /^\/subscriptions\/([^/]+)\/resourcegroups$/i;
const RESOURCE_LIST = /^(\/subscriptions\/[^/]+(?:\/resourcegroups\/[^/]+)?)\/resources$/i;
const RESOURCE_ITEM = /^\/subscriptions\/[^/]+\/resourcegroups\/[^/]+(\/providers\/.+)?$/i;
const STORAGE_LIST = /^(\/subscriptions\/[^/]+(?:\/resourcegroups\/[^/]+)?)\/providers\/Microsoft\.Storage\/storageAccounts$/i;
const STORAGE_ACCOUNT = /^(\/subscriptions\/[^/]+\/resourcegroups\/[^/]+\/providers\/Microsoft\.Storage\/storageAccounts\/[^/]+)((?:\/[^/]+)*)$/i;
const VAULT_LIST = /^(\/subscriptions\/[^/]+(?:\/resourcegroups\/[^/]+)?)\/providers\/Microsoft\.KeyVault\/vaults$/i;
const VAULT = /^(\/subscriptions\/[^/]+\/resourcegroups\/[^/]+\/providers\/Microsoft\.KeyVault\/vaults\/[^/]+)((?:\/[^/]+)*)$/i;

const restOf = (tail: string | undefined): string[] => (tail ?? '').split('/').filter((s) => s.length > 0);

/** The scope part before `/providers/Microsoft.Authorization/...`; empty means the tenant root. */
function scopeOf(prefix: string | undefined): string {
  return prefix && prefix.length > 0 ? prefix : '/';
}

export function handleArm(req: SimRequest, deps: ArmDeps): SimReply | Promise<SimReply> {
  const apiVersion = queryParam(req.query, 'api-version');
  if (!apiVersion) {
    throw new SimHttpError(400, 'MissingApiVersionParameter', 'The api-version query parameter (?api-version=) is required for all requests.');
  }
  const ctx: ArmContext = { ...deps, req, caller: resolveCaller(req, deps.state.directory), apiVersion };
  const path = req.path;
  let m: RegExpExecArray | null;
  if ((m = RA_ITEM.exec(path))) return roleAssignmentItem(ctx, scopeOf(m[1]), m[2] ?? '');
  if ((m = RA_LIST.exec(path))) return roleAssignmentList(ctx, scopeOf(m[1]));
  if ((m = RD_ITEM.exec(path))) return roleDefinitionItem(ctx, scopeOf(m[1]), m[2] ?? '');
  if ((m = RD_LIST.exec(path))) return roleDefinitionList(ctx, scopeOf(m[1]));
  if ((m = PERMISSIONS.exec(path))) return listPermissions(ctx, scopeOf(m[1]));
  if ((m = MG_ITEM.exec(path))) return managementGroupRead(ctx, m[1] ?? '', m[2] !== undefined);
  if ((m = PROVIDER_OPERATIONS.exec(path))) return providerOperations(ctx, m[1]);
  if ((m = SUBSCRIPTION.exec(path))) return getSubscription(ctx, m[1] ?? '');
  if ((m = RG_LIST.exec(path))) return listResourceGroups(ctx, m[1] ?? '');
  if ((m = RESOURCE_LIST.exec(path))) return listResources(ctx, m[1] ?? '');
  if ((m = STORAGE_LIST.exec(path))) return storageAccountList(ctx, m[1] ?? '');
  if ((m = STORAGE_ACCOUNT.exec(path))) return storageAccountRoute(ctx, m[1] ?? '', restOf(m[2]));
  if ((m = VAULT_LIST.exec(path))) return keyVaultList(ctx, m[1] ?? '');
  if ((m = VAULT.exec(path))) return keyVaultRoute(ctx, m[1] ?? '', restOf(m[2]));
  if (RESOURCE_ITEM.test(path)) return resourceItem(ctx, path);
  throw new SimHttpError(404, 'InvalidResourceType', `The simulated ARM has no resource type at '${path}'.`);
}
