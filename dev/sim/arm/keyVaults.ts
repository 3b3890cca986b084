/**
 * Key vaults in the simulated ARM (Microsoft.KeyVault, api-version 2023-07-01 and later): GET/PUT/
 * PATCH of the vault (its `vaultUri` is the vault's local data plane), the access policy
 * operations (`PUT {vault}/accessPolicies/{add|replace|remove}`), and listings. As in Azure,
 * purge protection and soft delete cannot be set to false, and every access policy change or
 * switch of the permission model also raises VaultAccessPolicyChanged on the vault's own topic.
 */
import { normalizeScope, scopeKey } from '../../../shared/domain/armIds';
import { ok, SimHttpError, type SimReply } from '../http';
import { keyVault, type ArmResource } from '../seed';
import { toKeyVaultEvent } from '../events/keyVaultEvent';
import { methodNotAllowed, type ArmContext } from './context';
import { authorizeOperation, pageOf, requireApiVersion, resourcesOfType, writeGuarded } from './guardedWrites';
import { resourceItem } from './resources';

const TYPE = 'Microsoft.KeyVault/vaults';
export const KEY_VAULT_MIN_API_VERSION = '2023-07-01';
const NAME = /^[a-zA-Z][a-zA-Z0-9-]{1,22}[a-zA-Z0-9]$/;
const READ_ONLY = ['provisioningState', 'vaultUri', 'privateEndpointConnections', 'hsmPoolResourceId'];

interface AccessPolicy {
  tenantId?: string;
  objectId?: string;
  applicationId?: string;
  permissions?: Record<string, string[]>;
}

function found(ctx: ArmContext, id: string): ArmResource {
  const vault = ctx.state.resources.get(scopeKey(id));
  if (!vault) {
    const segments = id.split('/').filter(Boolean);
    throw new SimHttpError(404, 'ResourceNotFound', `The Resource '${TYPE}/${segments[7] ?? ''}' under resource group '${segments[3] ?? ''}' was not found. For more details please go to https://aka.ms/ARMResourceNotFoundFix`);
  }
  return vault;
}

/** The vault as answered: its `vaultUri` is where its simulated data plane listens. */
async function shown(ctx: ArmContext, vault: ArmResource): Promise<ArmResource> {
  const vaultUri = await ctx.state.keyVaults.urlFor(vault.id, String(vault.properties['vaultUri'] ?? ''));
  return { ...vault, properties: { ...vault.properties, vaultUri } };
}

function accessPolicyChanged(ctx: ArmContext, vault: ArmResource): void {
  if (!ctx.knobs.emitEvents) return;
  const uri = ctx.state.keyVaults.urlKnown(vault.id) ?? String(vault.properties['vaultUri'] ?? '');
  ctx.state.keyVaults.publish(toKeyVaultEvent({ eventType: 'Microsoft.KeyVault.VaultAccessPolicyChanged', vaultId: vault.id, vaultName: vault.name, objectType: 'Vault', objectName: vault.name, objectUrl: uri }));
}

function refuseFalse(body: Record<string, unknown>, existing: ArmResource | undefined): void {
  if (body['enablePurgeProtection'] === false) {
    throw new SimHttpError(400, 'BadRequest', 'The property "enablePurgeProtection" cannot be set to false. Enabling the purge protection for a vault is an irreversible action.');
  }
  if (body['enableSoftDelete'] === false && (existing === undefined || existing.properties['enableSoftDelete'] !== false)) {
    throw new SimHttpError(400, 'BadRequest', 'The property "enableSoftDelete" cannot be set to false: soft delete is always on.');
  }
  const acl = body['networkAcls'] as Record<string, unknown> | undefined;
  if (acl !== undefined && acl['defaultAction'] !== 'Allow' && acl['defaultAction'] !== 'Deny') throw new SimHttpError(400, 'BadRequest', 'networkAcls.defaultAction must be Allow or Deny.');
  if (body['accessPolicies'] !== undefined && !Array.isArray(body['accessPolicies'])) throw new SimHttpError(400, 'BadRequest', 'accessPolicies must be an array.');
}

const samePrincipal = (a: AccessPolicy, b: AccessPolicy): boolean =>
  (a.objectId ?? '').toLowerCase() === (b.objectId ?? '').toLowerCase() && (a.applicationId ?? '').toLowerCase() === (b.applicationId ?? '').toLowerCase();

/** `PUT {vault}/accessPolicies/{add|replace|remove}`: permissions merged (add), replaced (replace) or the entries removed (remove). */
function updateAccessPolicies(ctx: ArmContext, id: string, kind: string): SimReply {
  if (ctx.req.method !== 'PUT') throw methodNotAllowed(ctx);
  const operation = kind.toLowerCase();
  if (!['add', 'replace', 'remove'].includes(operation)) throw new SimHttpError(400, 'BadRequest', `The access policy operation '${kind}' is not add, replace or remove.`);
  const vault = found(ctx, id);
  const uri = `${vault.id}/accessPolicies/${operation}`;
  const emit = authorizeOperation(ctx, uri, `${TYPE}/accessPolicies/write`);
  const given = ((ctx.req.body as { properties?: { accessPolicies?: unknown } } | undefined)?.properties?.accessPolicies ?? undefined) as AccessPolicy[] | undefined;
  if (!Array.isArray(given)) throw new SimHttpError(400, 'BadRequest', 'properties.accessPolicies must be an array of access policy entries.');
  let list = ((vault.properties['accessPolicies'] as AccessPolicy[] | undefined) ?? []).map((p) => ({ ...p }));
  for (const entry of given) {
    const index = list.findIndex((p) => samePrincipal(p, entry));
    if (operation === 'remove') {
      if (index >= 0) list = list.filter((_, i) => i !== index);
    } else if (index < 0) {
      list.push({ tenantId: entry.tenantId ?? ctx.state.tenantId, ...entry });
    } else if (operation === 'replace') {
      list[index] = { ...list[index], ...entry };
    } else {
      const merged: Record<string, string[]> = { ...(list[index]!.permissions ?? {}) };
      for (const [k, v] of Object.entries(entry.permissions ?? {})) merged[k] = [...new Set([...(merged[k] ?? []), ...v])];
      list[index] = { ...list[index], permissions: merged };
    }
  }
  const updated = { ...vault, properties: { ...vault.properties, accessPolicies: list } };
  ctx.state.resources.set(scopeKey(vault.id), updated);
  emit();
  accessPolicyChanged(ctx, updated);
  return ok({ id: uri, name: operation, type: `${TYPE}/accessPolicies`, location: vault.location, properties: { accessPolicies: list } });
}

/** Routes `{vault id}[/...]`. `rest` is what follows the vault id. */
export async function keyVaultRoute(ctx: ArmContext, vaultPath: string, rest: readonly string[]): Promise<SimReply> {
  const id = normalizeScope(vaultPath);
  if (rest.length === 0) {
    requireApiVersion(ctx, KEY_VAULT_MIN_API_VERSION, TYPE);
    switch (ctx.req.method) {
      case 'GET':
        return ok(await shown(ctx, found(ctx, id)));
      case 'PUT':
      case 'PATCH': {
        const segments = id.split('/').filter(Boolean);
        const name = segments[7] ?? '';
        if (!ctx.state.resources.has(scopeKey(id)) && !NAME.test(name)) throw new SimHttpError(400, 'VaultNameNotValid', `'${name}' is not a valid vault name: use 3-24 letters, digits and dashes, starting with a letter.`);
        const emit = authorizeOperation(ctx, id, `${TYPE}/write`);
        const { resource, before } = writeGuarded(ctx, id, () => keyVault('/' + segments.slice(0, 4).join('/'), name), {
          readOnly: READ_ONLY,
          replaceWhole: ['networkAcls', 'accessPolicies'],
          validate: (body, _merged, existing) => refuseFalse(body, existing),
        });
        emit();
        const rbacSwitched = before !== undefined && before.properties['enableRbacAuthorization'] !== resource.properties['enableRbacAuthorization'];
        const policiesChanged = before !== undefined && JSON.stringify(before.properties['accessPolicies']) !== JSON.stringify(resource.properties['accessPolicies']);
        if (rbacSwitched || policiesChanged) accessPolicyChanged(ctx, resource);
        return ok(await shown(ctx, resource));
      }
      default:
        throw methodNotAllowed(ctx);
    }
  }
  if (rest[0]!.toLowerCase() === 'accesspolicies' && rest.length === 2) {
    requireApiVersion(ctx, KEY_VAULT_MIN_API_VERSION, TYPE);
    return updateAccessPolicies(ctx, id, rest[1]!);
  }
  return resourceItem(ctx, `${id}/${rest.join('/')}`);
}

/** GET `/subscriptions/{s}[/resourceGroups/{rg}]/providers/Microsoft.KeyVault/vaults`. */
export async function keyVaultList(ctx: ArmContext, scope: string): Promise<SimReply> {
  if (ctx.req.method !== 'GET') throw methodNotAllowed(ctx);
  requireApiVersion(ctx, KEY_VAULT_MIN_API_VERSION, TYPE);
  const page = pageOf(ctx, resourcesOfType(ctx, scope, TYPE));
  return ok({ ...page, value: await Promise.all((page.value as ArmResource[]).map((v) => shown(ctx, v))) });
}
