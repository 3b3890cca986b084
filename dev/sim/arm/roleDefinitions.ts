/**
 * Role definitions (api-version 2022-04-01): the built-in catalog, readable at any scope, and
 * custom roles: `PUT|GET|DELETE {scope}/providers/Microsoft.Authorization/roleDefinitions/{guid}`,
 * listed at a scope (those applicable there and above) with `$filter=type eq 'BuiltInRole'|'CustomRole'`
 * or `roleName eq '…'`. Custom role writes and deletes need `roleDefinitions/write|delete` at every
 * assignable scope and emit their ARM events. Also the provider operations metadata
 * (`/providers/Microsoft.Authorization/providerOperations[/{namespace}]?$expand=resourceTypes`).
 */
import { z } from 'zod';
import { isGuid, normalizeScope, roleDefinitionGuid, subscriptionOf } from '../../../shared/domain/armIds';
import { operationShape } from '../../../shared/domain/suggestions/operations';
import { RESOURCE_DELETE_SUCCESS, RESOURCE_WRITE_SUCCESS } from '../events/armEvent';
import { ok, queryParam, SimHttpError, type SimReply } from '../http';
import { authorize, emitArmEvent, methodNotAllowed, type ArmContext } from './context';
import { PROVIDER_OPERATIONS, type SimRole } from './roleCatalog';
import { resolveScope } from './scopes';

/** Built-in roles were created long ago; a fixed time keeps answers stable. */
const BUILT_IN_CREATED_ON = '2015-02-02T21:55:09.8806423Z';
const WRITE = 'Microsoft.Authorization/roleDefinitions/write';
const DELETE = 'Microsoft.Authorization/roleDefinitions/delete';

/** The ARM shape of a role definition as listed or read at a scope under `subscriptionId` (none: the tenant root). */
export function roleDefinitionShape(role: SimRole, subscriptionId: string | undefined): Record<string, unknown> {
  const prefix = subscriptionId ? `/subscriptions/${subscriptionId}` : '';
  const builtIn = role.roleType === 'BuiltInRole';
  return {
    id: `${prefix}/providers/Microsoft.Authorization/roleDefinitions/${role.guid}`,
    type: 'Microsoft.Authorization/roleDefinitions',
    name: role.guid,
    properties: {
      ...role.properties,
      type: role.roleType,
      ...(builtIn ? { createdOn: BUILT_IN_CREATED_ON, updatedOn: BUILT_IN_CREATED_ON, createdBy: null, updatedBy: null } : {}),
    },
  };
}

/** Role definitions at the tenant root need no existing scope; anything else must exist. */
function subscriptionForScope(ctx: ArmContext, rawScope: string): string | undefined {
  const scope = normalizeScope(rawScope);
  if (scope === '/') return undefined;
  resolveScope(ctx.state, scope);
  return subscriptionOf(scope);
}

function notFound(guid: string): SimHttpError {
  return new SimHttpError(404, 'RoleDefinitionDoesNotExist', `The specified role definition with ID '${guid.replace(/-/g, '')}' does not exist.`);
}

export function roleDefinitionItem(ctx: ArmContext, scope: string, guid: string): SimReply {
  switch (ctx.req.method) {
    case 'GET':
      return getDefinition(ctx, scope, guid);
    case 'PUT':
      return putDefinition(ctx, scope, guid);
    case 'DELETE':
      return deleteDefinition(ctx, scope, guid);
    default:
      throw methodNotAllowed(ctx);
  }
}

function getDefinition(ctx: ArmContext, scope: string, guid: string): SimReply {
  const subscriptionId = subscriptionForScope(ctx, scope);
  const role = isGuid(guid) ? ctx.state.roleDefinitions.get(guid) : undefined;
  const visible = role && (role.roleType === 'BuiltInRole' || ctx.state.roleDefinitions.customAt(scope).includes(role) || (role.scope !== undefined && normalizeScope(role.scope).toLowerCase() === normalizeScope(scope).toLowerCase()));
  if (!role || !visible) throw notFound(guid);
  return ok(roleDefinitionShape(role, subscriptionId ?? subscriptionOf(role.scope ?? '')));
}

const names = z.array(z.string().min(1).max(400)).max(5000).default([]);
const putBodySchema = z.object({
  properties: z.object({
    roleName: z.string().trim().min(1, 'roleName is required').max(512),
    description: z.string().max(2048).nullish(),
    type: z.string().optional(),
    assignableScopes: z.array(z.string().min(1)).min(1, 'assignableScopes must name at least one scope'),
    permissions: z
      .array(z.object({ actions: names, notActions: names, dataActions: names, notDataActions: names }))
      .min(1, 'permissions must hold one permission block')
      .max(1, 'a custom role has one permission block'),
  }),
});

let knownProviders: Set<string> | undefined;

/** Provider namespaces ARM knows: those of its operations and of every built-in permission. */
function providers(ctx: ArmContext): Set<string> {
  if (!knownProviders) {
    knownProviders = new Set(PROVIDER_OPERATIONS.map(([name]) => name.split('/')[0]!.toLowerCase()));
    for (const r of ctx.state.roleDefinitions.builtIn()) {
      for (const b of r.blocks) for (const p of [...b.actions, ...b.dataActions]) if (!p.startsWith('*')) knownProviders.add(p.split('/')[0]!.toLowerCase());
    }
  }
  return knownProviders;
}

function putDefinition(ctx: ArmContext, rawScope: string, guid: string): SimReply {
  if (!isGuid(guid)) throw new SimHttpError(400, 'InvalidRoleDefinitionId', `The role definition ID '${guid}' is not valid. The role definition ID must be a GUID.`);
  if (ctx.req.bodyInvalid) throw new SimHttpError(400, 'InvalidRequestContent', 'The request content was invalid and could not be deserialized: the body is not JSON.');
  const parsed = putBodySchema.safeParse(ctx.req.body);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new SimHttpError(400, 'InvalidRequestContent', `The request content was invalid and could not be deserialized: ${issue ? `${issue.path.join('.')}: ${issue.message}` : 'invalid body'}.`);
  }
  const scope = normalizeScope(rawScope);
  subscriptionForScope(ctx, scope);
  const catalog = ctx.state.roleDefinitions;
  const existing = catalog.get(guid);
  if (existing?.roleType === 'BuiltInRole') throw new SimHttpError(400, 'RoleDefinitionUpdateNotPermitted', `Built-in role '${existing.roleName}' cannot be updated; create a custom role with a new GUID.`);
  const p = parsed.data.properties;
  if ((p.type ?? 'CustomRole').toLowerCase() !== 'customrole') throw new SimHttpError(400, 'InvalidRoleDefinitionType', `Only custom roles can be created; properties.type must be CustomRole (got '${p.type}').`);

  const assignable = p.assignableScopes.map(normalizeScope);
  for (const s of assignable) {
    if (s === '/') throw new SimHttpError(400, 'InvalidAssignableScope', "The root scope '/' cannot be an assignable scope of a custom role.");
    resolveScope(ctx.state, s);
  }
  const block = p.permissions[0]!;
  const known = providers(ctx);
  for (const name of [...block.actions, ...block.notActions, ...block.dataActions, ...block.notDataActions]) {
    const provider = name.split('/')[0]!.toLowerCase();
    if (name !== '*' && !name.startsWith('*/') && !known.has(provider)) {
      throw new SimHttpError(400, 'InvalidActionOrNotAction', `'${name}' does not match any of the actions supported by the providers.`);
    }
  }
  if (block.actions.length + block.dataActions.length === 0) throw new SimHttpError(400, 'InvalidRoleDefinition', 'A role definition must grant at least one action or data action.');
  const clash = [...catalog.builtIn(), ...catalog.customRoles()].find((r) => r.roleName.toLowerCase() === p.roleName.toLowerCase() && r.guid !== guid.toLowerCase());
  if (clash) throw new SimHttpError(409, 'RoleDefinitionWithSameNameExists', `A custom role with the same name already exists in this directory. Use a different name (role '${clash.roleName}', ID ${clash.guid}).`);

  // Creating a role that can be assigned at a scope needs the right to write role definitions there.
  const authorizations = assignable.map((s) => authorize(ctx, s, WRITE));
  const now = new Date().toISOString();
  const stored = catalog.putCustom(guid, scope, {
    id: `${scope === '/' ? '' : scope}/providers/Microsoft.Authorization/roleDefinitions/${guid.toLowerCase()}`,
    name: guid.toLowerCase(),
    properties: {
      roleName: p.roleName,
      type: 'CustomRole',
      description: p.description ?? '',
      assignableScopes: assignable,
      permissions: [{ actions: block.actions, notActions: block.notActions, dataActions: block.dataActions, notDataActions: block.notDataActions }],
      createdOn: (existing?.properties.createdOn as string | undefined) ?? now,
      updatedOn: now,
      createdBy: (existing?.properties.createdBy as string | undefined) ?? ctx.caller.objectId,
      updatedBy: ctx.caller.objectId,
    },
  });
  const resourceUri = `${scope === '/' ? '' : scope}/providers/Microsoft.Authorization/roleDefinitions/${stored.guid}`;
  emitArmEvent(ctx, { eventType: RESOURCE_WRITE_SUCCESS, resourceUri, operationName: WRITE, resourceProvider: 'Microsoft.Authorization', authorization: authorizations[0]! });
  return ok(roleDefinitionShape(stored, subscriptionOf(scope)), 201);
}

function deleteDefinition(ctx: ArmContext, rawScope: string, guid: string): SimReply {
  const scope = normalizeScope(rawScope);
  subscriptionForScope(ctx, scope);
  const role = isGuid(guid) ? ctx.state.roleDefinitions.get(guid) : undefined;
  if (!role) return { status: 204 };
  if (role.roleType === 'BuiltInRole') throw new SimHttpError(400, 'RoleDefinitionDeleteNotPermitted', `Built-in role '${role.roleName}' cannot be deleted.`);
  const authorizations = role.assignableScopes.map((s) => authorize(ctx, s, DELETE));
  const inUse = [...ctx.state.assignments.values()].some((a) => roleDefinitionGuid(a.properties.roleDefinitionId) === role.guid);
  if (inUse) throw new SimHttpError(409, 'RoleDefinitionHasAssignments', 'There are existing role assignments referencing role. Delete them before deleting the role definition.');
  const shape = roleDefinitionShape(role, subscriptionOf(scope));
  ctx.state.roleDefinitions.deleteCustom(role.guid);
  const resourceUri = `${scope === '/' ? '' : scope}/providers/Microsoft.Authorization/roleDefinitions/${role.guid}`;
  emitArmEvent(ctx, { eventType: RESOURCE_DELETE_SUCCESS, resourceUri, operationName: DELETE, resourceProvider: 'Microsoft.Authorization', authorization: authorizations[0]! });
  return ok(shape);
}

const FILTER_ROLE_NAME = /^roleName\s+eq\s+'([^']*)'$/i;
const FILTER_TYPE = /^type\s+eq\s+'([^']*)'$/i;

export function roleDefinitionList(ctx: ArmContext, scope: string): SimReply {
  if (ctx.req.method !== 'GET') throw methodNotAllowed(ctx);
  const subscriptionId = subscriptionForScope(ctx, scope);
  const filter = queryParam(ctx.req.query, '$filter')?.trim();
  const catalog = ctx.state.roleDefinitions;
  let roles: readonly SimRole[] = [...catalog.builtIn(), ...catalog.customAt(scope)];
  if (filter) {
    const byName = FILTER_ROLE_NAME.exec(filter);
    const byType = FILTER_TYPE.exec(filter);
    if (byName) roles = roles.filter((r) => r.roleName.toLowerCase() === (byName[1] ?? '').toLowerCase());
    else if (byType) roles = roles.filter((r) => r.roleType.toLowerCase() === (byType[1] ?? '').toLowerCase());
    else throw new SimHttpError(400, 'UnsupportedQuery', `The filter '${filter}' is not supported. Supported: roleName eq '{name}', type eq 'BuiltInRole' or 'CustomRole'.`);
  }
  return ok({ value: roles.map((r) => roleDefinitionShape(r, subscriptionId)) });
}

interface OperationShapeJson {
  name: string;
  displayName: string;
  description: string;
  origin: string;
  properties: null;
  isDataAction: boolean;
}

let metadata: Map<string, { operations: OperationShapeJson[]; resourceTypes: Map<string, OperationShapeJson[]> }> | undefined;

/** Provider operations grouped as ARM's metadata groups them: by provider, then by resource type. */
function providerMetadata(): typeof metadata & object {
  if (!metadata) {
    metadata = new Map();
    for (const [name, isDataAction] of PROVIDER_OPERATIONS) {
      const provider = name.split('/')[0]!;
      const key = provider.toLowerCase();
      let entry = metadata.get(key);
      if (!entry) metadata.set(key, (entry = { operations: [], resourceTypes: new Map() }));
      const segments = name.split('/');
      const shape = operationShape(name);
      const verb = shape?.verb ?? 'action';
      const typePath = segments.slice(1, 1 + (shape?.types.length ?? 0)).join('/');
      const op: OperationShapeJson = {
        name,
        displayName: `${verb.replace('/action', '')} ${typePath || provider}`.trim(),
        description: `${isDataAction ? 'Data action' : 'Action'} ${name}`,
        origin: isDataAction ? 'user' : 'user,system',
        properties: null,
        isDataAction,
      };
      if (!typePath) entry.operations.push(op);
      else {
        const list = entry.resourceTypes.get(typePath) ?? [];
        list.push(op);
        entry.resourceTypes.set(typePath, list);
      }
    }
  }
  return metadata;
}

function providerShape(namespace: string, expand: boolean): Record<string, unknown> | undefined {
  const entry = providerMetadata().get(namespace.toLowerCase());
  if (!entry) return undefined;
  const name = entry.operations[0]?.name.split('/')[0] ?? [...entry.resourceTypes.values()][0]?.[0]?.name.split('/')[0] ?? namespace;
  return {
    id: `/providers/Microsoft.Authorization/providerOperations/${name}`,
    name,
    type: 'Microsoft.Authorization/providerOperations',
    displayName: name.replace(/^Microsoft\./, 'Microsoft '),
    resourceTypes: expand ? [...entry.resourceTypes.entries()].map(([type, operations]) => ({ name: type, displayName: type, operations })) : [],
    operations: entry.operations,
  };
}

/** `GET /providers/Microsoft.Authorization/providerOperations[/{namespace}]`. */
export function providerOperations(ctx: ArmContext, namespace: string | undefined): SimReply {
  if (ctx.req.method !== 'GET') throw methodNotAllowed(ctx);
  const expand = (queryParam(ctx.req.query, '$expand') ?? '').toLowerCase().includes('resourcetypes');
  if (namespace) {
    const shape = providerShape(namespace, expand);
    if (!shape) throw new SimHttpError(404, 'ProviderNotFound', `The resource provider '${namespace}' was not found.`);
    return ok(shape);
  }
  return ok({ value: [...providerMetadata().keys()].map((k) => providerShape(k, expand)) });
}
