/**
 * Subscriptions, resource groups and resources of the local tenant: reads in ARM's shapes.
 * Storage accounts and key vaults are written through ./storageAccounts.ts and ./keyVaults.ts.
 */
import { normalizeScope, scopeKey } from '../../../shared/domain/armIds';
import { ok, SimHttpError, type SimReply } from '../http';
import { seedSubscription } from '../seed';
import { methodNotAllowed, type ArmContext } from './context';
import { resolveScope } from './scopes';

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Objects merge key by key; arrays and scalars replace. */
export function mergeDeep(target: Record<string, unknown>, patch: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...target };
  for (const [k, v] of Object.entries(patch)) {
    const current = out[k];
    out[k] = isPlainObject(current) && isPlainObject(v) ? mergeDeep(current, v) : v;
  }
  return out;
}

function subscriptionMatches(ctx: ArmContext, sub: string): void {
  if (!ctx.state.hasSubscription(sub)) {
    throw new SimHttpError(404, 'SubscriptionNotFound', `The subscription '${sub}' could not be found.`);
  }
}

export function getSubscription(ctx: ArmContext, sub: string): SimReply {
  if (ctx.req.method !== 'GET') throw methodNotAllowed(ctx);
  subscriptionMatches(ctx, sub);
  return ok(seedSubscription(sub));
}

export function listResourceGroups(ctx: ArmContext, sub: string): SimReply {
  if (ctx.req.method !== 'GET') throw methodNotAllowed(ctx);
  subscriptionMatches(ctx, sub);
  const prefix = `/subscriptions/${sub.toLowerCase()}/`;
  return ok({ value: [...ctx.state.resources.values()].filter((r) => r.type === 'Microsoft.Resources/resourceGroups' && r.id.toLowerCase().startsWith(prefix)) });
}

/** Top-level resources under a subscription or resource group (GET .../resources), in the list's short shape. */
export function listResources(ctx: ArmContext, scope: string): SimReply {
  if (ctx.req.method !== 'GET') throw methodNotAllowed(ctx);
  resolveScope(ctx.state, scope);
  const prefix = scopeKey(scope) + '/';
  const value = [...ctx.state.resources.entries()]
    .filter(([key, r]) => key.startsWith(prefix) && r.type.split('/').length === 2 && r.type !== 'Microsoft.Resources/resourceGroups')
    .map(([, r]) => ({ id: r.id, name: r.name, type: r.type, location: r.location, kind: r.kind, sku: r.sku, tags: r.tags ?? {} }));
  return ok({ value });
}

export function resourceItem(ctx: ArmContext, path: string): SimReply {
  const id = normalizeScope(path);
  switch (ctx.req.method) {
    case 'GET': {
      resolveScope(ctx.state, id);
      const found = ctx.state.resources.get(scopeKey(id));
      if (!found) throw new SimHttpError(404, 'ResourceNotFound', `The Resource '${id}' was not found. For more details please go to https://aka.ms/ARMResourceNotFoundFix`);
      return ok(found);
    }
    default:
      throw methodNotAllowed(ctx);
  }
}
