/**
 * The role assignment API of ARM (api-version 2022-04-01): PUT, GET and DELETE by id, and
 * listing at a scope with `$filter` and `nextLink` paging, with the status codes, error codes
 * and events real ARM produces.
 */
import { isGuid, normalizeScope, roleAssignmentId, scopeKey } from '../../../shared/domain/armIds';
import { ok, queryParam, queryString, SimHttpError, type SimReply } from '../http';
import { makeAssignment, roleDefinitionIdAt } from '../state';
import type { RoleAssignment } from './assignmentStore';
import { authorize, emitArmEvent, methodNotAllowed, type ArmContext } from './context';
import { decodePutBody, listedAtScope, pageOfAssignments, parseAssignmentFilter, roleDefinitionGuidOfBody } from './roleAssignmentRules';
import { resolveScope } from './scopes';
import { RESOURCE_DELETE_SUCCESS, RESOURCE_WRITE_SUCCESS } from '../events/armEvent';

const WRITE = 'Microsoft.Authorization/roleAssignments/write';
const DELETE = 'Microsoft.Authorization/roleAssignments/delete';

export function roleAssignmentItem(ctx: ArmContext, scope: string, name: string): SimReply {
  switch (ctx.req.method) {
    case 'GET':
      return getAssignment(ctx, scope, name);
    case 'PUT':
      return putAssignment(ctx, scope, name);
    case 'DELETE':
      return deleteAssignment(ctx, scope, name);
    default:
      throw methodNotAllowed(ctx);
  }
}

function notFound(name: string): SimHttpError {
  return new SimHttpError(404, 'RoleAssignmentNotFound', `The role assignment '${name}' is not found.`);
}

function getAssignment(ctx: ArmContext, scope: string, name: string): SimReply {
  // Nothing can be assigned at the tenant root here, so a root-scoped id is simply not found.
  if (normalizeScope(scope) !== '/') resolveScope(ctx.state, scope);
  const found = ctx.state.assignments.get(roleAssignmentId(scope, name));
  if (!found) throw notFound(name);
  return ok(found);
}

function putAssignment(ctx: ArmContext, rawScope: string, name: string): SimReply {
  if (!isGuid(name)) {
    throw new SimHttpError(400, 'InvalidRoleAssignmentId', `The role assignment ID '${name}' is not valid. The role assignment ID must be a GUID.`);
  }
  const body = decodePutBody(ctx.req.body, ctx.req.bodyInvalid);
  const scope = normalizeScope(rawScope);
  resolveScope(ctx.state, scope);
  const id = roleAssignmentId(scope, name);
  const authorization = authorize(ctx, id, WRITE);

  const roleGuid = roleDefinitionGuidOfBody(body.roleDefinitionId);
  const role = ctx.state.roleDefinitions.get(roleGuid);
  if (!role) {
    throw new SimHttpError(400, 'RoleDefinitionDoesNotExist', `The specified role definition with ID '${roleGuid.replace(/-/g, '')}' does not exist.`);
  }
  // Assignable at one of its assignable scopes or below (management groups included).
  const above = ctx.state.ancestry(scope);
  if (!role.assignableScopes.some((s) => above.includes(scopeKey(s)))) {
    throw new SimHttpError(
      400,
      'InvalidRoleAssignmentScope',
      `The role '${role.roleName}' cannot be assigned at '${scope}': it is assignable only at ${role.assignableScopes.join(', ')} and below.`,
    );
  }
  const principal = ctx.state.directory.get(body.principalId);
  if (!principal) {
    throw new SimHttpError(
      400,
      'PrincipalNotFound',
      `Principal ${body.principalId.replace(/-/g, '')} does not exist in the directory ${ctx.state.tenantId}. Check that you have the correct principal ID.`,
    );
  }
  if (body.principalType && body.principalType !== principal.kind) {
    throw new SimHttpError(
      400,
      'UnmatchedPrincipalType',
      `The PrincipalId '${body.principalId.replace(/-/g, '')}' has type '${principal.kind}' , which is different from specified PrincipalType '${body.principalType}'.`,
    );
  }

  const definitionId = roleDefinitionIdAt(scope, roleGuid);
  const now = ctx.state.now().toISOString();
  const existing = ctx.state.assignments.get(id);
  let stored: RoleAssignment;
  if (existing) {
    const p = existing.properties;
    if (p.principalId.toLowerCase() !== principal.id.toLowerCase() || p.roleDefinitionId.toLowerCase() !== definitionId.toLowerCase()) {
      throw new SimHttpError(409, 'RoleAssignmentUpdateNotPermitted', 'Tenant ID, application ID, principal ID, and scope are not allowed to be updated.');
    }
    stored = {
      ...existing,
      properties: {
        ...p,
        description: body.description !== undefined ? body.description : p.description,
        condition: body.condition !== undefined ? body.condition : p.condition,
        conditionVersion: body.conditionVersion !== undefined ? body.conditionVersion : p.conditionVersion,
        updatedOn: now,
        updatedBy: ctx.caller.objectId,
      },
    };
  } else {
    const same = ctx.state.assignments.findSame(principal.id, roleGuid, scope);
    if (same) {
      throw new SimHttpError(409, 'RoleAssignmentExists', `The role assignment already exists. The ID of the existing role assignment is ${same.name.replace(/-/g, '')}.`);
    }
    stored = makeAssignment({
      scope,
      name,
      roleDefinitionId: definitionId,
      principalId: principal.id,
      principalType: principal.kind,
      description: body.description ?? null,
      condition: body.condition ?? null,
      conditionVersion: body.conditionVersion ?? null,
      delegatedManagedIdentityResourceId: body.delegatedManagedIdentityResourceId ?? null,
      at: now,
      by: ctx.caller.objectId,
    });
  }
  ctx.state.assignments.put(stored);
  emitArmEvent(ctx, { eventType: RESOURCE_WRITE_SUCCESS, resourceUri: id, operationName: WRITE, resourceProvider: 'Microsoft.Authorization', authorization });
  return ok(stored, 201);
}

function deleteAssignment(ctx: ArmContext, rawScope: string, name: string): SimReply {
  const scope = normalizeScope(rawScope);
  resolveScope(ctx.state, scope);
  const id = roleAssignmentId(scope, name);
  const authorization = authorize(ctx, id, DELETE);
  const removed = ctx.state.assignments.delete(id);
  if (!removed) return { status: 204 };
  emitArmEvent(ctx, { eventType: RESOURCE_DELETE_SUCCESS, resourceUri: id, operationName: DELETE, resourceProvider: 'Microsoft.Authorization', authorization });
  return ok(removed);
}

export function roleAssignmentList(ctx: ArmContext, rawScope: string): SimReply {
  if (ctx.req.method !== 'GET') throw methodNotAllowed(ctx);
  const scope = normalizeScope(rawScope);
  resolveScope(ctx.state, scope);
  const rawFilter = queryParam(ctx.req.query, '$filter');
  const filter = parseAssignmentFilter(rawFilter);
  const store = ctx.state.assignments;

  let candidates: Iterable<RoleAssignment>;
  if (filter.assignedTo) {
    const principals = [filter.assignedTo, ...ctx.state.directory.transitiveGroupIdsOf(filter.assignedTo)];
    candidates = principals.flatMap((p) => store.ofPrincipal(p));
  } else if (filter.principalId) {
    candidates = store.ofPrincipal(filter.principalId);
  } else {
    candidates = store.values();
  }
  const matches: RoleAssignment[] = [];
  for (const a of candidates) {
    if (filter.principalId && a.properties.principalId.toLowerCase() !== filter.principalId.toLowerCase()) continue;
    if (listedAtScope(a.properties.scope, scope, filter.atScopeOnly, (s) => ctx.state.ancestry(s))) matches.push(a);
  }

  const page = pageOfAssignments(matches, ctx.knobs.pageSize, queryParam(ctx.req.query, '$skipToken'));
  const body: { value: RoleAssignment[]; nextLink?: string } = { value: page.items };
  if (page.nextToken) {
    const pairs: Array<[string, string]> = [['api-version', ctx.apiVersion]];
    if (rawFilter) pairs.push(['$filter', rawFilter]);
    pairs.push(['$skipToken', page.nextToken]);
    body.nextLink = `${ctx.req.origin}${scope === '/' ? '' : scope}/providers/Microsoft.Authorization/roleAssignments?${queryString(pairs)}`;
  }
  return ok(body);
}
