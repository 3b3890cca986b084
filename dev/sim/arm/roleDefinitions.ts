/**
 * Role definitions: the built-in roles of shared/roles.ts in ARM's REST shape, readable at
 * any scope (tenant root, management group, subscription, below) and listable with
 * `$filter=roleName eq '…'`; custom roles (./customRoles) are created, read and deleted at the
 * scopes they are assignable at.
 */
import { isGuid, normalizeScope, subscriptionOf } from '../../../shared/domain/armIds';
import { BUILT_IN_ROLES, builtInRoleByGuid, type BuiltInRole } from '../../../shared/domain/roles';
import { ok, queryParam, SimHttpError, type SimReply } from '../http';
import type { ArmContext } from './context';
import { assignableAt, deleteCustomRole, putCustomRole, roleShape, type SimRole } from './customRoles';
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
  return new SimHttpError(405, 'MethodNotAllowed', `The simulated ARM does not support ${ctx.req.method} on role definitions.`);
}

/** Custom roles assignable at (or below) the scope they are read at. */
function customRolesAt(ctx: ArmContext, scope: string): SimRole[] {
  const key = normalizeScope(scope);
  if (key === '/') return ctx.state.customRoles.values();
  return ctx.state.customRoles.values().filter((r) => assignableAt(r, key, (s) => ctx.state.ancestry(s)) || r.assignableScopes.some((a) => ctx.state.ancestry(a).includes(key.toLowerCase())));
}

export function roleDefinitionItem(ctx: ArmContext, scope: string, guid: string): SimReply {
  const checks = { resolve: (s: string) => void resolveScope(ctx.state, s), ancestry: (s: string) => ctx.state.ancestry(s) };
  if (ctx.req.method === 'PUT') return putCustomRole(ctx, scope, guid, checks);
  if (ctx.req.method === 'DELETE') return deleteCustomRole(ctx, scope, guid);
  if (ctx.req.method !== 'GET') throw readOnly(ctx);
  const subscriptionId = subscriptionForScope(ctx, scope);
  const builtIn = isGuid(guid) ? builtInRoleByGuid(guid) : undefined;
  if (builtIn) return ok(roleDefinitionShape(builtIn, subscriptionId));
  const custom = isGuid(guid) ? customRolesAt(ctx, scope).find((r) => r.guid === guid.toLowerCase()) : undefined;
  if (!custom) throw new SimHttpError(404, 'RoleDefinitionDoesNotExist', `The specified role definition with ID '${guid.replace(/-/g, '')}' does not exist.`);
  return ok(roleShape(custom, subscriptionId));
}

const FILTER_ROLE_NAME = /^roleName\s+eq\s+'([^']*)'$/i;
const FILTER_TYPE = /^type\s+eq\s+'([^']*)'$/i;

export function roleDefinitionList(ctx: ArmContext, scope: string): SimReply {
  if (ctx.req.method !== 'GET') throw readOnly(ctx);
  const subscriptionId = subscriptionForScope(ctx, scope);
  const filter = queryParam(ctx.req.query, '$filter')?.trim();
  let roles: readonly BuiltInRole[] = BUILT_IN_ROLES;
  let custom = customRolesAt(ctx, scope);
  if (filter) {
    const byName = FILTER_ROLE_NAME.exec(filter);
    const byType = FILTER_TYPE.exec(filter);
    if (byName) {
      roles = roles.filter((r) => r.roleName.toLowerCase() === (byName[1] ?? '').toLowerCase());
      custom = custom.filter((r) => r.roleName.toLowerCase() === (byName[1] ?? '').toLowerCase());
    } else if (byType) {
      const type = byType[1]?.toLowerCase();
      if (type !== 'builtinrole') roles = [];
      if (type !== 'customrole') custom = [];
    } else {
      throw new SimHttpError(400, 'UnsupportedQuery', `The filter '${filter}' is not supported. Supported: roleName eq '{name}', type eq 'BuiltInRole' | 'CustomRole'.`);
    }
  }
  return ok({ value: [...roles.map((r) => roleDefinitionShape(r, subscriptionId)), ...custom.map((r) => roleShape(r, subscriptionId))] });
}
