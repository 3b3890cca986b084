/**
 * What storage account and key vault writes share in the simulated ARM: the api-version floor
 * of each resource provider, the PUT/PATCH merge (read-only properties ignored, some
 * sub-objects replaced whole as their resource providers do), paging of listings, and the
 * ResourceWriteSuccess / ResourceActionSuccess events with the caller's claims.
 */
import { scopeKey } from '../../../shared/domain/armIds';
import { queryParam, queryString, SimHttpError } from '../http';
import type { ArmResource } from '../seed';
import { RESOURCE_ACTION_SUCCESS, RESOURCE_WRITE_SUCCESS, type ArmEventType } from '../events/armEvent';
import { authorize, emitArmEvent, type ArmContext } from './context';
import { mergeDeep } from './resources';
import { resolveScope } from './scopes';

/** Refuses api-versions older than the provider's floor, as ARM does for versions a type does not have. */
export function requireApiVersion(ctx: ArmContext, minimum: string, type: string): void {
  const version = ctx.apiVersion.slice(0, 10);
  if (!/^\d{4}-\d{2}-\d{2}$/.test(version) || version < minimum) {
    throw new SimHttpError(
      400,
      'NoRegisteredProviderFound',
      `No registered resource provider found for location '${'westeurope'}' and API version '${ctx.apiVersion}' for type '${type}'. The simulated ARM supports api-versions ${minimum} and later for this type.`,
    );
  }
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export interface WriteRules {
  /** Properties a client cannot set (ignored, as ARM ignores them). */
  readOnly: readonly string[];
  /** Object properties a write replaces whole instead of merging. */
  replaceWhole: readonly string[];
  /** Throws the SimHttpError ARM answers for a value it refuses; sees the body's properties and the result. */
  validate?: (body: Record<string, unknown>, merged: Record<string, unknown>, existing: ArmResource | undefined) => void;
}

/** PUT or PATCH of a storage account or vault: merged, validated, stored; returns the stored resource and whether it is new. */
export function writeGuarded(ctx: ArmContext, id: string, template: () => ArmResource, rules: WriteRules): { resource: ArmResource; created: boolean; before: ArmResource | undefined } {
  if (ctx.req.bodyInvalid) throw new SimHttpError(400, 'InvalidRequestContent', 'The request content was invalid and could not be deserialized: the body is not JSON.');
  const body = ctx.req.body ?? {};
  if (!isPlainObject(body)) throw new SimHttpError(400, 'InvalidRequestContent', 'The request content must be a JSON object.');
  const segments = id.split('/').filter((s) => s.length > 0);
  resolveScope(ctx.state, '/' + segments.slice(0, 4).join('/'));
  const key = scopeKey(id);
  const existing = ctx.state.resources.get(key);
  if (!existing && ctx.req.method === 'PATCH') resolveScope(ctx.state, id);
  const properties = body['properties'] ?? {};
  if (!isPlainObject(properties)) throw new SimHttpError(400, 'InvalidRequestContent', 'properties must be a JSON object.');
  const base = existing ?? template();
  const writable: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(properties)) if (!rules.readOnly.includes(k)) writable[k] = v;
  let merged = mergeDeep(base.properties, Object.fromEntries(Object.entries(writable).filter(([k]) => !rules.replaceWhole.includes(k))));
  for (const k of rules.replaceWhole) if (k in writable) merged = { ...merged, [k]: writable[k] };
  rules.validate?.(writable, merged, existing);
  const updated: ArmResource = { ...base, properties: merged };
  if (isPlainObject(body['tags'])) updated.tags = body['tags'] as Record<string, string>;
  if (isPlainObject(body['sku'])) updated.sku = mergeDeep(base.sku ?? {}, body['sku']);
  if (typeof body['kind'] === 'string' && !existing) updated.kind = body['kind'];
  if (typeof body['location'] === 'string' && !existing) updated.location = body['location'];
  ctx.state.resources.set(key, updated);
  return { resource: updated, created: !existing, before: existing };
}

/** Authorises `operationName` on `resourceUri` for the caller; then, after the change, `emit` sends its event. */
export function authorizeOperation(ctx: ArmContext, resourceUri: string, operationName: string, eventType: ArmEventType = RESOURCE_WRITE_SUCCESS): () => void {
  const authorization = authorize(ctx, resourceUri, operationName);
  return () => emitArmEvent(ctx, { eventType, resourceUri, operationName, resourceProvider: operationName.split('/')[0] ?? '', authorization });
}

export const ACTION_EVENT = RESOURCE_ACTION_SUCCESS;

/** One page of a listing, with a nextLink the SDK follows as is. */
export function pageOf(ctx: ArmContext, items: readonly unknown[]): { value: unknown[]; nextLink?: string } {
  const size = Math.max(1, ctx.knobs.pageSize);
  const skip = Number(queryParam(ctx.req.query, '$skipToken') ?? '0');
  const start = Number.isInteger(skip) && skip >= 0 ? skip : 0;
  const value = items.slice(start, start + size);
  if (start + size >= items.length) return { value };
  return { value, nextLink: `${ctx.req.origin}${ctx.req.path}?${queryString([['api-version', ctx.apiVersion], ['$skipToken', String(start + size)]])}` };
}

/** Resources of one type under a subscription or resource group, in id order. */
export function resourcesOfType(ctx: ArmContext, scope: string, type: string): ArmResource[] {
  resolveScope(ctx.state, scope);
  const prefix = scopeKey(scope) + '/';
  return [...ctx.state.resources.entries()]
    .filter(([k, r]) => k.startsWith(prefix) && r.type.toLowerCase() === type.toLowerCase())
    .map(([, r]) => r)
    .sort((a, b) => scopeKey(a.id).localeCompare(scopeKey(b.id)));
}
