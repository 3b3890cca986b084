/**
 * Management groups above the subscription: the hierarchy (tenant root group, `mg-research`,
 * the subscription under it), what lies at and above a scope (how ARM decides which role
 * assignments apply there), and the read API (`GET .../managementGroups/{name}` with
 * `$expand=children`, `.../descendants`) in ARM's REST shapes (api-version 2020-05-01 and later).
 */
import { normalizeScope, scopeKey } from '../../../shared/domain/armIds';
import { ok, queryParam, SimHttpError, type SimReply } from '../http';
import type { ArmContext } from './context';
import { methodNotAllowed } from './context';

export const MG_PREFIX = '/providers/Microsoft.Management/managementGroups/';

export interface ManagementGroup {
  /** The group's name (its id's last segment); the tenant root group is named after the tenant id. */
  name: string;
  displayName: string;
  /** Name of the parent group; undefined for the tenant root group. */
  parent?: string;
  /** Subscription ids directly under this group. */
  subscriptions: string[];
}

export function managementGroupId(name: string): string {
  return `${MG_PREFIX}${name}`;
}

/** The group name of a management group scope, or undefined when `scope` is not one. */
export function managementGroupName(scope: string): string | undefined {
  const m = /^\/providers\/Microsoft\.Management\/managementGroups\/([^/]+)$/i.exec(normalizeScope(scope));
  return m?.[1];
}

export interface Hierarchy {
  managementGroups: ReadonlyMap<string, ManagementGroup>;
}

function groupOf(h: Hierarchy, name: string): ManagementGroup | undefined {
  return h.managementGroups.get(name.toLowerCase());
}

/** The group holding a subscription directly. */
function parentOfSubscription(h: Hierarchy, subscriptionId: string): ManagementGroup | undefined {
  const id = subscriptionId.toLowerCase();
  for (const g of h.managementGroups.values()) if (g.subscriptions.some((s) => s.toLowerCase() === id)) return g;
  return undefined;
}

function groupChain(h: Hierarchy, first: ManagementGroup | undefined): string[] {
  const out: string[] = [];
  const seen = new Set<string>();
  for (let g = first; g && !seen.has(g.name.toLowerCase()); g = g.parent ? groupOf(h, g.parent) : undefined) {
    seen.add(g.name.toLowerCase());
    out.push(scopeKey(managementGroupId(g.name)));
  }
  return out;
}

/**
 * Scope keys at and above `scope`, nearest first: the scope, its resource group and subscription,
 * the management groups above the subscription up to the tenant root group, and `/`.
 */
export function ancestry(h: Hierarchy, scope: string): string[] {
  const key = scopeKey(scope);
  if (key === '/') return ['/'];
  const mg = managementGroupName(key);
  if (mg) return [...groupChain(h, groupOf(h, mg)), '/'];
  const segments = key.split('/').filter((s) => s.length > 0);
  const out: string[] = [];
  for (let n = segments.length; n >= 2; n--) {
    // Resource ids alternate type and name; only whole (type, name) levels are scopes.
    if (n > 2 && n % 2 !== 0) continue;
    out.push('/' + segments.slice(0, n).join('/'));
  }
  const sub = segments[0] === 'subscriptions' ? segments[1] : undefined;
  if (sub) out.push(...groupChain(h, parentOfSubscription(h, sub)));
  out.push('/');
  return out;
}

/** Whether `inner` is `outer` or lies under it, management groups included. */
export function isAtOrBelow(h: Hierarchy, inner: string, outer: string): boolean {
  return ancestry(h, inner).includes(scopeKey(outer));
}

function childrenOf(h: Hierarchy, g: ManagementGroup, subscriptionName: (id: string) => string): Array<Record<string, unknown>> {
  const groups = [...h.managementGroups.values()]
    .filter((c) => c.parent?.toLowerCase() === g.name.toLowerCase())
    .map((c) => ({ type: 'Microsoft.Management/managementGroups', id: managementGroupId(c.name), name: c.name, displayName: c.displayName, children: childrenOf(h, c, subscriptionName) }));
  const subs = g.subscriptions.map((s) => ({ type: '/subscriptions', id: `/subscriptions/${s}`, name: s, displayName: subscriptionName(s), children: null }));
  return [...groups, ...subs];
}

function descendantsOf(h: Hierarchy, g: ManagementGroup, subscriptionName: (id: string) => string): Array<Record<string, unknown>> {
  const out: Array<Record<string, unknown>> = [];
  const parent = { id: managementGroupId(g.name) };
  for (const c of h.managementGroups.values()) {
    if (c.parent?.toLowerCase() !== g.name.toLowerCase()) continue;
    out.push({ id: managementGroupId(c.name), type: 'Microsoft.Management/managementGroups', name: c.name, properties: { displayName: c.displayName, parent } });
    out.push(...descendantsOf(h, c, subscriptionName));
  }
  for (const s of g.subscriptions) {
    out.push({ id: `/subscriptions/${s}`, type: 'Microsoft.Management/managementGroups/subscriptions', name: s, properties: { displayName: subscriptionName(s), parent } });
  }
  return out;
}

/** `GET /providers/Microsoft.Management/managementGroups/{name}[/descendants]`. */
export function managementGroupRead(ctx: ArmContext, name: string, descendants: boolean): SimReply {
  if (ctx.req.method !== 'GET') throw methodNotAllowed(ctx);
  const h = ctx.state;
  const g = groupOf(h, name);
  if (!g) throw new SimHttpError(404, 'NotFound', `The management group '${name}' was not found, or you do not have access to it.`);
  const subscriptionName = (id: string) => (id.toLowerCase() === ctx.state.subscriptionId.toLowerCase() ? 'Research (local)' : id);
  if (descendants) return ok({ value: descendantsOf(h, g, subscriptionName) });
  const parent = g.parent ? groupOf(h, g.parent) : undefined;
  const expand = queryParam(ctx.req.query, '$expand')?.toLowerCase();
  return ok({
    id: managementGroupId(g.name),
    type: 'Microsoft.Management/managementGroups',
    name: g.name,
    properties: {
      tenantId: ctx.state.tenantId,
      displayName: g.displayName,
      details: {
        version: 1,
        updatedTime: '2026-01-05T09:00:00.0000000Z',
        updatedBy: null,
        parent: parent ? { id: managementGroupId(parent.name), name: parent.name, displayName: parent.displayName } : null,
      },
      ...(expand === 'children' ? { children: childrenOf(h, g, subscriptionName) } : {}),
    },
  });
}
