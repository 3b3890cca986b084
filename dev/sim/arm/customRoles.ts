/**
 * Role definitions beyond the built-ins: custom roles created with
 * `PUT {scope}/providers/Microsoft.Authorization/roleDefinitions/{guid}` (one permissions block,
 * assignable scopes, a tenant-unique name), readable and deletable like in ARM, and the one
 * lookup (built-in or custom, by GUID) that authorisation and assignment writes use.
 */
import { z } from 'zod';
import { isGuid, normalizeScope, scopeKey } from '../../../shared/domain/armIds';
import type { PermissionEntry } from '../../../shared/domain/permissions';
import { builtInRoleByGuid } from '../../../shared/domain/roles';
import { ok, SimHttpError, type SimReply } from '../http';
import { RESOURCE_DELETE_SUCCESS, RESOURCE_WRITE_SUCCESS } from '../events/armEvent';
import { authorize, emitArmEvent, type ArmContext } from './context';

export interface SimRole {
  guid: string;
  roleName: string;
  description: string;
  type: 'BuiltInRole' | 'CustomRole';
  permissions: Required<PermissionEntry>;
  /** Where the role may be assigned; built-in roles: everywhere ('/'). */
  assignableScopes: string[];
  createdOn: string;
  updatedOn: string;
  createdBy: string | null;
  updatedBy: string | null;
}

/** Built-in roles were created long ago; a fixed time keeps answers stable. */
export const BUILT_IN_CREATED_ON = '2015-02-02T21:55:09.8806423Z';

export class CustomRoleStore {
  private readonly byGuid = new Map<string, SimRole>();

  get(guid: string): SimRole | undefined {
    return this.byGuid.get(guid.toLowerCase());
  }

  byName(roleName: string): SimRole | undefined {
    const key = roleName.trim().toLowerCase();
    for (const r of this.byGuid.values()) if (r.roleName.toLowerCase() === key) return r;
    return undefined;
  }

  values(): SimRole[] {
    return [...this.byGuid.values()];
  }

  put(role: SimRole): void {
    this.byGuid.set(role.guid.toLowerCase(), role);
  }

  delete(guid: string): SimRole | undefined {
    const found = this.byGuid.get(guid.toLowerCase());
    this.byGuid.delete(guid.toLowerCase());
    return found;
  }

  clear(): void {
    this.byGuid.clear();
  }
}

/** A role by GUID: built-in first, then the tenant's custom roles. */
export function lookupRole(custom: CustomRoleStore, guid: string): SimRole | undefined {
  const builtIn = builtInRoleByGuid(guid);
  if (builtIn) {
    return {
      guid: builtIn.guid,
      roleName: builtIn.roleName,
      description: builtIn.description,
      type: 'BuiltInRole',
      permissions: { ...builtIn.permissions },
      assignableScopes: ['/'],
      createdOn: BUILT_IN_CREATED_ON,
      updatedOn: BUILT_IN_CREATED_ON,
      createdBy: null,
      updatedBy: null,
    };
  }
  return custom.get(guid);
}

/** ARM's REST shape of a role definition, with the id in the form of the scope it is read at. */
export function roleShape(role: SimRole, subscriptionId: string | undefined): Record<string, unknown> {
  const prefix = subscriptionId ? `/subscriptions/${subscriptionId}` : '';
  return {
    id: `${prefix}/providers/Microsoft.Authorization/roleDefinitions/${role.guid}`,
    type: 'Microsoft.Authorization/roleDefinitions',
    name: role.guid,
    properties: {
      roleName: role.roleName,
      type: role.type,
      description: role.description,
      assignableScopes: [...role.assignableScopes],
      permissions: [
        {
          actions: [...role.permissions.actions],
          notActions: [...role.permissions.notActions],
          dataActions: [...role.permissions.dataActions],
          notDataActions: [...role.permissions.notDataActions],
        },
      ],
      createdOn: role.createdOn,
      updatedOn: role.updatedOn,
      createdBy: role.createdBy,
      updatedBy: role.updatedBy,
    },
  };
}

const actionList = z.array(z.string().min(1, 'an action must not be empty')).default([]);
const putBodySchema = z.object({
  properties: z.object({
    roleName: z.string({ error: 'properties.roleName is required' }).trim().min(1, 'properties.roleName is required'),
    description: z.string().nullish(),
    type: z.string().optional(),
    assignableScopes: z.array(z.string()).min(1, 'properties.assignableScopes must name at least one scope'),
    permissions: z
      .array(z.object({ actions: actionList, notActions: actionList, dataActions: actionList, notDataActions: actionList }))
      .length(1, 'a custom role has exactly one permissions block'),
  }),
});

const WRITE = 'Microsoft.Authorization/roleDefinitions/write';
const DELETE = 'Microsoft.Authorization/roleDefinitions/delete';

export interface ScopeChecks {
  /** Throws the ARM error for a scope that does not exist. */
  resolve(scope: string): void;
  /** Scope keys at and above `scope`. */
  ancestry(scope: string): string[];
}

/** Whether `role` may be assigned at `scope`: one of its assignable scopes is at or above it. */
export function assignableAt(role: SimRole, scope: string, ancestry: (scope: string) => string[]): boolean {
  const above = new Set(ancestry(scope));
  return role.assignableScopes.some((s) => above.has(scopeKey(s)));
}

export function putCustomRole(ctx: ArmContext, scope: string, guid: string, checks: ScopeChecks): SimReply {
  if (!isGuid(guid)) throw new SimHttpError(400, 'InvalidRoleDefinitionId', `The role definition ID '${guid}' is not valid. The role definition ID must be a GUID.`);
  if (builtInRoleByGuid(guid)) throw new SimHttpError(403, 'BuiltInRoleUpdateNotAllowed', 'Built-in role definitions cannot be changed.');
  if (ctx.req.bodyInvalid) throw new SimHttpError(400, 'InvalidRequestContent', 'The request content was invalid and could not be deserialized: the body is not JSON.');
  const parsed = putBodySchema.safeParse(ctx.req.body);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new SimHttpError(400, 'InvalidRequestContent', `The request content was invalid and could not be deserialized: ${issue ? `${issue.path.join('.')}: ${issue.message}` : 'invalid body'}.`);
  }
  const body = parsed.data.properties;
  const assignableScopes = body.assignableScopes.map((s) => normalizeScope(s));
  for (const s of assignableScopes) checks.resolve(s);
  if (!assignableScopes.some((s) => scopeKey(s) === scopeKey(scope))) {
    throw new SimHttpError(400, 'RoleDefinitionScopeNotInAssignableScopes', `The scope '${normalizeScope(scope)}' of the request must be one of the role's assignableScopes.`);
  }
  let authorization: ReturnType<typeof authorize> | undefined;
  for (const s of assignableScopes) authorization = authorize(ctx, s, WRITE);
  const sameName = ctx.state.customRoles.byName(body.roleName);
  if (sameName && sameName.guid !== guid.toLowerCase()) {
    throw new SimHttpError(409, 'RoleDefinitionWithSameNameExists', `A custom role with the same name '${body.roleName}' already exists in this directory.`);
  }
  const existing = ctx.state.customRoles.get(guid);
  const now = ctx.state.now().toISOString();
  const permissions = body.permissions[0]!;
  const role: SimRole = {
    guid: guid.toLowerCase(),
    roleName: body.roleName,
    description: body.description ?? '',
    type: 'CustomRole',
    permissions: { actions: permissions.actions, notActions: permissions.notActions, dataActions: permissions.dataActions, notDataActions: permissions.notDataActions },
    assignableScopes,
    createdOn: existing?.createdOn ?? now,
    updatedOn: now,
    createdBy: existing?.createdBy ?? ctx.caller.objectId,
    updatedBy: ctx.caller.objectId,
  };
  ctx.state.customRoles.put(role);
  const shaped = roleShape(role, scopeSubscription(scope));
  emitArmEvent(ctx, { eventType: RESOURCE_WRITE_SUCCESS, resourceUri: String(shaped.id), operationName: WRITE, resourceProvider: 'Microsoft.Authorization', authorization: authorization! });
  return ok(shaped, 201);
}

export function deleteCustomRole(ctx: ArmContext, scope: string, guid: string): SimReply {
  const role = isGuid(guid) ? ctx.state.customRoles.get(guid) : undefined;
  if (!role) {
    if (isGuid(guid) && builtInRoleByGuid(guid)) throw new SimHttpError(403, 'BuiltInRoleUpdateNotAllowed', 'Built-in role definitions cannot be deleted.');
    return { status: 204 };
  }
  let authorization: ReturnType<typeof authorize> | undefined;
  for (const s of role.assignableScopes) authorization = authorize(ctx, s, DELETE);
  const used = [...ctx.state.assignments.values()].some((a) => a.properties.roleDefinitionId.toLowerCase().endsWith(`/${role.guid}`));
  if (used) throw new SimHttpError(409, 'RoleDefinitionHasAssignments', `There are existing role assignments referencing role '${role.roleName}'; remove them first.`);
  ctx.state.customRoles.delete(guid);
  const shaped = roleShape(role, scopeSubscription(scope));
  emitArmEvent(ctx, { eventType: RESOURCE_DELETE_SUCCESS, resourceUri: String(shaped.id), operationName: DELETE, resourceProvider: 'Microsoft.Authorization', authorization: authorization! });
  return ok(shaped);
}

function scopeSubscription(scope: string): string | undefined {
  return /^\/subscriptions\/([^/]+)/i.exec(normalizeScope(scope))?.[1];
}
