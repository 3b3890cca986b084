/**
 * `GET {scope}/providers/Microsoft.Authorization/permissions` (api-version 2022-04-01): what the
 * caller may do at a scope, one entry per role assignment that applies there (the caller's own
 * or its groups', at the scope or above it, management groups included), computed from the
 * role definitions (built-in or custom) exactly as authorisation decides.
 */
import { normalizeScope } from '../../../shared/domain/armIds';
import { ok, type SimReply } from '../http';
import { applyingAssignments } from './authorize';
import { methodNotAllowed, type ArmContext } from './context';
import { resolveScope } from './scopes';

export function listPermissions(ctx: ArmContext, rawScope: string): SimReply {
  if (ctx.req.method !== 'GET') throw methodNotAllowed(ctx);
  const scope = normalizeScope(rawScope);
  resolveScope(ctx.state, scope);
  const value = applyingAssignments(ctx.state.rbac(), ctx.caller.objectId, scope).flatMap(({ assignment, role }) =>
    role.blocks.map((b) => ({
      actions: [...b.actions],
      notActions: [...b.notActions],
      dataActions: [...b.dataActions],
      notDataActions: [...b.notDataActions],
      condition: b.condition ?? assignment.properties.condition,
      conditionVersion: assignment.properties.conditionVersion,
    })),
  );
  return ok({ value });
}
