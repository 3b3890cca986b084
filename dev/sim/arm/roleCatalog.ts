/**
 * The simulated tenant's role catalog: 175 real built-in role definitions (their GUIDs and
 * permission lists, dev/sim/data/builtin-roles.json), custom role definitions created through
 * `PUT .../roleDefinitions/{guid}`, and the resource provider operations (dev/sim/data, see its
 * README) that ARM's provider operations metadata serves.
 */
import builtInRoles from '../data/builtin-roles.json';
import providerOperations from '../data/provider-operations.json';
import { isWithinScope, normalizeScope, roleDefinitionGuid } from '../../../shared/domain/armIds';
import { roleDefinitionFromArm, type PermissionBlock } from '../../../shared/domain/suggestions/roleDefinition';

export type RoleType = 'BuiltInRole' | 'CustomRole';

/** A role definition as the simulator keeps it: its ARM properties and the permission blocks RBAC checks. */
export interface SimRole {
  guid: string;
  roleName: string;
  roleType: RoleType;
  /** ARM's `properties` of the definition, answered as they are. */
  properties: Record<string, unknown>;
  blocks: PermissionBlock[];
  assignableScopes: string[];
  /** Custom roles: the scope of the id they were created under (e.g. the subscription). */
  scope?: string;
}

function fromArm(item: unknown, roleType: RoleType, scope?: string): SimRole {
  const decoded = roleDefinitionFromArm(item);
  const properties = { ...((item as { properties: Record<string, unknown> }).properties ?? {}) };
  return {
    guid: decoded.guid,
    roleName: decoded.roleName,
    roleType,
    properties,
    blocks: decoded.permissions,
    assignableScopes: decoded.assignableScopes,
    ...(scope ? { scope } : {}),
  };
}

const BUILT_IN: readonly SimRole[] = (builtInRoles as unknown[]).map((r) => fromArm(r, 'BuiltInRole'));
const builtInByGuid = new Map(BUILT_IN.map((r) => [r.guid, r]));
const builtInByName = new Map(BUILT_IN.map((r) => [r.roleName.toLowerCase(), r]));

/** Provider operations of the simulated ARM: `[name, isDataAction]`. */
export const PROVIDER_OPERATIONS: readonly (readonly [string, boolean])[] = providerOperations as [string, boolean][];

/** A built-in role of the simulated catalog by display name, GUID or full id. */
export function builtInSimRole(nameOrId: string): SimRole | undefined {
  const guid = roleDefinitionGuid(nameOrId.trim());
  return guid ? builtInByGuid.get(guid) : builtInByName.get(nameOrId.trim().toLowerCase());
}

export class SimRoleCatalog {
  private readonly custom = new Map<string, SimRole>();

  builtIn(): readonly SimRole[] {
    return BUILT_IN;
  }

  customRoles(): SimRole[] {
    return [...this.custom.values()];
  }

  /** A built-in or custom role by GUID. */
  get(guid: string): SimRole | undefined {
    const key = guid.toLowerCase();
    return builtInByGuid.get(key) ?? this.custom.get(key);
  }

  /** A role by display name (any case), GUID or full id: built-in first. */
  find(nameOrId: string): SimRole | undefined {
    const guid = roleDefinitionGuid(nameOrId.trim());
    if (guid) return this.get(guid);
    const name = nameOrId.trim().toLowerCase();
    return builtInByName.get(name) ?? this.customRoles().find((r) => r.roleName.toLowerCase() === name);
  }

  /** Stores a custom role decoded from an ARM body (the caller validated it). */
  putCustom(guid: string, scope: string, item: unknown): SimRole {
    const role = fromArm(item, 'CustomRole', normalizeScope(scope));
    this.custom.set(guid.toLowerCase(), role);
    return role;
  }

  deleteCustom(guid: string): SimRole | undefined {
    const role = this.custom.get(guid.toLowerCase());
    this.custom.delete(guid.toLowerCase());
    return role;
  }

  clearCustom(): void {
    this.custom.clear();
  }

  /** Custom roles applicable at a scope (one of their assignable scopes is it or above it), as ARM lists them. */
  customAt(scope: string): SimRole[] {
    if (normalizeScope(scope) === '/') return this.customRoles();
    return this.customRoles().filter((r) => r.assignableScopes.some((s) => isWithinScope(scope, s)));
  }
}
