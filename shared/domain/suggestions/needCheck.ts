/**
 * A request measured against the need it states: does the requested role cover the needed
 * operations, which role is the narrowest that does, and is the requested one broader than needed
 * (than the narrowest overall, and than the narrowest the policy lets one request). Stored on the
 * request, so every view of it (approval card, API, CLI) shows the same verdict.
 */
import type { RoleCatalog } from './catalog';
import { isBroader, measureRole, rankRoles, type Breadth, type ExtraPermission, type Need } from './engine';
import type { Requestability } from './requestable';

/** The need a request states: free text (shown as written) and/or the operations it needs. */
export interface StatedNeed {
  text?: string;
  actions: string[];
  dataActions: string[];
}

export interface RoleVerdict {
  roleName: string;
  roleDefinitionGuid: string;
  exact: boolean;
  breadth: Breadth;
}

export interface NeedCheck {
  /** Where the need is met (the request's scope, widened if an operation acts above it). */
  scope: string;
  requested: RoleVerdict & {
    covers: boolean;
    /** Needed operations the requested role does not grant there. */
    missing: Need;
    /** What the requested role grants beyond the need, effective at the scope first. */
    extra: ExtraPermission[];
  };
  /** The narrowest role (any) that covers the need. */
  narrowest?: RoleVerdict & { requestable: boolean };
  /** The narrowest role that covers the need and that the policy lets one request. */
  narrowestRequestable?: RoleVerdict;
  /** The requested role grants more than the narrowest covering role. */
  broaderThanNeeded: boolean;
  /** The requested role grants more than the narrowest requestable one: what `narrowest: require` acts on. */
  broaderThanRequestable: boolean;
}

/** Extra permissions kept on a stored request: enough for an approver, bounded for the store. */
export const MAX_STORED_EXTRA = 20;

function verdict(r: { definition: { roleName: string; guid: string }; exact: boolean; breadth: Breadth }): RoleVerdict {
  return { roleName: r.definition.roleName, roleDefinitionGuid: r.definition.guid, exact: r.exact, breadth: r.breadth };
}

/** Effective permissions first, then the rest; at most MAX_STORED_EXTRA, long except-lists cut. */
function boundedExtra(extra: readonly ExtraPermission[]): ExtraPermission[] {
  return [...extra]
    .sort((a, b) => Number(b.effective) - Number(a.effective))
    .slice(0, MAX_STORED_EXTRA)
    .map((e) => (e.except && e.except.length > 12 ? { ...e, except: [...e.except.slice(0, 12), `… ${e.except.length - 12} more`] } : e));
}

/**
 * Measures the requested role (by GUID) against a checked need. Undefined when the catalog does
 * not know the role (then nothing can be said about it).
 */
export function checkRequestedRole(
  catalog: RoleCatalog,
  need: Need,
  requestedGuid: string,
  scope: string,
  requestable: (roleGuid: string, scope: string) => Requestability,
): NeedCheck | undefined {
  const role = catalog.role(requestedGuid);
  if (!role) return undefined;
  const measured = measureRole(catalog, role, need, scope);
  const ranking = rankRoles(catalog, need, scope);
  const first = ranking.roles[0];
  const firstRequestable = ranking.roles.find((r) => requestable(r.definition.guid, ranking.scope).requestable);
  const requested = { ...verdict(measured), covers: measured.covers, missing: measured.missing, extra: boundedExtra(measured.extra) };
  return {
    scope: ranking.scope,
    requested,
    ...(first ? { narrowest: { ...verdict(first), requestable: requestable(first.definition.guid, ranking.scope).requestable } } : {}),
    ...(firstRequestable ? { narrowestRequestable: verdict(firstRequestable) } : {}),
    broaderThanNeeded: measured.covers && first !== undefined && first.definition.guid !== role.definition.guid && isBroader(measured, first),
    broaderThanRequestable:
      measured.covers && firstRequestable !== undefined && firstRequestable.definition.guid !== role.definition.guid && isBroader(measured, firstRequestable),
  };
}
