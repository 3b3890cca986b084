/**
 * The management group read API in ARM's REST shapes (api-version 2020-05-01 and later):
 * `GET /providers/Microsoft.Management/managementGroups/{name}[?$expand=children]` and
 * `GET .../managementGroups/{name}/descendants`.
 */
import { ok, queryParam, SimHttpError, type SimReply } from '../http';
import { methodNotAllowed, type ArmContext } from './context';
import { SEED_SUBSCRIPTIONS } from '../seed';
import { groupOf, managementGroupId, type Hierarchy, type ManagementGroup } from './managementGroups';

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
  const subscriptionName = (id: string) => SEED_SUBSCRIPTIONS.get(id.toLowerCase()) ?? id;
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
