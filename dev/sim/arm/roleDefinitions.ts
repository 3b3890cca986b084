/**
 * Role definitions: the built-in roles of shared/roles.ts in ARM's REST shape, readable at
 * any scope (tenant root, subscription, below) and listable with `$filter=roleName eq '…'`.
 * Custom roles are not simulated.
 */
import { isGuid, normalizeScope, subscriptionOf } from '../../../shared/domain/armIds';
import { BUILT_IN_ROLES, builtInRoleByGuid, type BuiltInRole } from '../../../shared/domain/roles';
import { ok, queryParam, SimHttpError, type SimReply } from '../http';
import type { ArmContext } from './context';
import { resolveScope } from './scopes';

/** Built-in roles were created long ago; a fixed time keeps answers stable. */
const BUILT_IN_CREATED_ON = '2015-02-02T21:55:09.8806423Z';

export function roleDefinitionShape(role: BuiltInRole, subscriptionId: string | undefined): Record<string, unknown> {
  const prefix = subscriptionId ? `/subscriptions/${subscriptionId}` : '';
  return {
    id: `${prefix}/providers/Microsoft.Authorization/roleDefinitions/${role.guid}`,
    type: 'Microsoft.Authorization/roleDefinitions',
    name: role.guid,
    properties: {
      roleName: role.roleName,
      type: 'BuiltInRole',
      description: role.description,
      assignableScopes: ['/'],
      permissions: [
        {
          actions: [...role.permissions.actions],
          notActions: [...role.permissions.notActions],
          dataActions: [...role.permissions.dataActions],
          notDataActions: [...role.permissions.notDataActions],
        },
      ],
      createdOn: BUILT_IN_CREATED_ON,
      updatedOn: BUILT_IN_CREATED_ON,
      createdBy: null,
      updatedBy: null,
    },
  };
}

/** Role definitions at the tenant root need no existing scope; anything else must exist. */
function subscriptionForScope(ctx: ArmContext, rawScope: string): string | undefined {
  const scope = normalizeScope(rawScope);
  if (scope === '/') return undefined;
  resolveScope(ctx.state, scope);
  return subscriptionOf(scope) ? ctx.state.subscriptionId : undefined;
}

function readOnly(ctx: ArmContext): SimHttpError {
  return new SimHttpError(
    ctx.req.method === 'PUT' || ctx.req.method === 'DELETE' ? 400 : 405,
    'CustomRolesNotSupported',
    'The simulated tenant has built-in roles only; custom role definitions cannot be created or deleted.',
  );
}

export function roleDefinitionItem(ctx: ArmContext, scope: string, guid: string): SimReply {
  if (ctx.req.method !== 'GET') throw readOnly(ctx);
  const subscriptionId = subscriptionForScope(ctx, scope);
  const role = isGuid(guid) ? builtInRoleByGuid(guid) : undefined;
  if (!role) throw new SimHttpError(404, 'RoleDefinitionDoesNotExist', `The specified role definition with ID '${guid.replace(/-/g, '')}' does not exist.`);
  return ok(roleDefinitionShape(role, subscriptionId));
}

const FILTER_ROLE_NAME = /^roleName\s+eq\s+'([^']*)'$/i;
const FILTER_TYPE = /^type\s+eq\s+'([^']*)'$/i;

export function roleDefinitionList(ctx: ArmContext, scope: string): SimReply {
  if (ctx.req.method !== 'GET') throw readOnly(ctx);
  const subscriptionId = subscriptionForScope(ctx, scope);
  const filter = queryParam(ctx.req.query, '$filter')?.trim();
  let roles: readonly BuiltInRole[] = BUILT_IN_ROLES;
  if (filter) {
    const byName = FILTER_ROLE_NAME.exec(filter);
    const byType = FILTER_TYPE.exec(filter);
    if (byName) roles = roles.filter((r) => r.roleName.toLowerCase() === (byName[1] ?? '').toLowerCase());
    else if (byType) roles = byType[1]?.toLowerCase() === 'builtinrole' ? roles : [];
    else throw new SimHttpError(400, 'UnsupportedQuery', `The filter '${filter}' is not supported. Supported: roleName eq '{name}', type eq 'BuiltInRole'.`);
  }
  return ok({ value: roles.map((r) => roleDefinitionShape(r, subscriptionId)) });
}
