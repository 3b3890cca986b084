/**
 * Subscriptions, resource groups and resources of the local tenant: reads in ARM's shapes,
 * and PUT/PATCH of storage accounts and key vaults (properties merged) that emit
 * ResourceWriteSuccess like Azure, so configuration drift reaches the app as events.
 */
import { z } from 'zod';
import { normalizeScope, scopeKey } from '../../../shared/domain/armIds';
import { ok, SimHttpError, type SimReply } from '../http';
import { keyVault, seedSubscription, storageAccount, type ArmResource } from '../seed';
import { authorize, emitArmEvent, methodNotAllowed, type ArmContext } from './context';
import { resolveScope } from './scopes';
import { RESOURCE_WRITE_SUCCESS } from '../events/armEvent';

type Template = (resourceGroupId: string, name: string) => ArmResource;

/** Resource types the simulator lets callers write, with the shape a new one starts from. */
const WRITABLE: ReadonlyMap<string, Template> = new Map<string, Template>([
  ['microsoft.storage/storageaccounts', (rg, name) => storageAccount(rg, name)],
  ['microsoft.keyvault/vaults', (rg, name) => keyVault(rg, name)],
]);

const NAME_RULES: ReadonlyMap<string, { pattern: RegExp; code: string; message: string }> = new Map([
  ['microsoft.storage/storageaccounts', { pattern: /^[a-z0-9]{3,24}$/, code: 'AccountNameInvalid', message: 'is not a valid storage account name: use 3-24 lower-case letters and digits.' }],
  ['microsoft.keyvault/vaults', { pattern: /^[a-zA-Z][a-zA-Z0-9-]{1,22}[a-zA-Z0-9]$/, code: 'VaultNameNotValid', message: 'is not a valid vault name: use 3-24 letters, digits and dashes, starting with a letter.' }],
]);

const writeBodySchema = z
  .object({
    location: z.string().optional(),
    kind: z.string().optional(),
    tags: z.record(z.string(), z.string()).optional(),
    sku: z.record(z.string(), z.unknown()).optional(),
    properties: z.record(z.string(), z.unknown()).optional(),
  })
  .passthrough();

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
  if (sub.toLowerCase() !== ctx.state.subscriptionId.toLowerCase()) {
    throw new SimHttpError(404, 'SubscriptionNotFound', `The subscription '${sub}' could not be found.`);
  }
}

export function getSubscription(ctx: ArmContext, sub: string): SimReply {
  if (ctx.req.method !== 'GET') throw methodNotAllowed(ctx);
  subscriptionMatches(ctx, sub);
  return ok(seedSubscription());
}

export function listResourceGroups(ctx: ArmContext, sub: string): SimReply {
  if (ctx.req.method !== 'GET') throw methodNotAllowed(ctx);
  subscriptionMatches(ctx, sub);
  return ok({ value: [...ctx.state.resources.values()].filter((r) => r.type === 'Microsoft.Resources/resourceGroups') });
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
    case 'PUT':
    case 'PATCH':
      return writeResource(ctx, id);
    default:
      throw methodNotAllowed(ctx);
  }
}

function writeResource(ctx: ArmContext, id: string): SimReply {
  const segments = id.split('/').filter((s) => s.length > 0);
  const typeKey = segments.length === 8 ? `${segments[5]}/${segments[6]}`.toLowerCase() : '';
  const template = WRITABLE.get(typeKey);
  if (!template) throw methodNotAllowed(ctx);
  if (ctx.req.bodyInvalid) throw new SimHttpError(400, 'InvalidRequestContent', 'The request content was invalid and could not be deserialized: the body is not JSON.');
  const parsed = writeBodySchema.safeParse(ctx.req.body ?? {});
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new SimHttpError(400, 'InvalidRequestContent', `The request content was invalid: ${issue?.path.join('.') ?? ''} ${issue?.message ?? ''}`.trim());
  }
  const rgId = '/' + segments.slice(0, 4).join('/');
  resolveScope(ctx.state, rgId);
  const key = scopeKey(id);
  const existing = ctx.state.resources.get(key);
  if (!existing && ctx.req.method === 'PATCH') resolveScope(ctx.state, id);
  const name = segments[7] ?? '';
  const rule = NAME_RULES.get(typeKey);
  if (!existing && rule && !rule.pattern.test(name)) throw new SimHttpError(400, rule.code, `'${name}' ${rule.message}`);

  const base = existing ?? template(rgId, name);
  const operationName = `${base.type}/write`;
  const authorization = authorize(ctx, id, operationName);
  const { properties, tags, sku, ...rest } = parsed.data;
  let updated: ArmResource = { ...base, ...(rest as Record<string, unknown>), id: base.id, name: base.name, type: base.type };
  if (tags) updated.tags = tags;
  if (sku) updated.sku = mergeDeep(base.sku ?? {}, sku);
  if (properties) updated = { ...updated, properties: mergeDeep(base.properties, properties) };
  ctx.state.resources.set(key, updated);
  emitArmEvent(ctx, {
    eventType: RESOURCE_WRITE_SUCCESS,
    resourceUri: id,
    operationName,
    resourceProvider: base.type.split('/')[0] ?? '',
    authorization,
  });
  return ok(updated, existing ? 200 : 201);
}
