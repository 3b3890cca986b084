/**
 * Role assignments held by the simulated ARM, in their REST shape, keyed by lower-cased id,
 * with the two indexes the hot path needs: by principal (authorisation, `principalId eq`)
 * and by (principal, role, scope) (the `RoleAssignmentExists` conflict).
 */
import { roleDefinitionGuid, scopeKey } from '../../../shared/domain/armIds';
import type { PrincipalType } from '../directory';

export const ROLE_ASSIGNMENT_TYPE = 'Microsoft.Authorization/roleAssignments';

export interface RoleAssignmentProperties {
  scope: string;
  roleDefinitionId: string;
  principalId: string;
  principalType: PrincipalType;
  condition: string | null;
  conditionVersion: string | null;
  description: string | null;
  createdOn: string;
  updatedOn: string;
  createdBy: string | null;
  updatedBy: string | null;
  delegatedManagedIdentityResourceId: string | null;
}

/** The REST shape of api-version 2022-04-01. */
export interface RoleAssignment {
  id: string;
  type: typeof ROLE_ASSIGNMENT_TYPE;
  name: string;
  properties: RoleAssignmentProperties;
}

function tripleKey(principalId: string, roleDefinitionIdOrGuid: string, scope: string): string {
  return `${principalId.toLowerCase()}|${roleDefinitionGuid(roleDefinitionIdOrGuid) ?? roleDefinitionIdOrGuid.toLowerCase()}|${scopeKey(scope)}`;
}

export class AssignmentStore implements Iterable<[string, RoleAssignment]> {
  private readonly byId = new Map<string, RoleAssignment>();
  private readonly byPrincipal = new Map<string, Set<string>>();
  private readonly byTriple = new Map<string, string>();

  get size(): number {
    return this.byId.size;
  }

  get(id: string): RoleAssignment | undefined {
    return this.byId.get(scopeKey(id));
  }

  has(id: string): boolean {
    return this.byId.has(scopeKey(id));
  }

  values(): IterableIterator<RoleAssignment> {
    return this.byId.values();
  }

  keys(): IterableIterator<string> {
    return this.byId.keys();
  }

  [Symbol.iterator](): IterableIterator<[string, RoleAssignment]> {
    return this.byId.entries();
  }

  /** Inserts or replaces (same id) an assignment and keeps the indexes in step. */
  put(assignment: RoleAssignment): void {
    const key = scopeKey(assignment.id);
    const previous = this.byId.get(key);
    if (previous) this.unindex(key, previous);
    this.byId.set(key, assignment);
    const principal = assignment.properties.principalId.toLowerCase();
    let set = this.byPrincipal.get(principal);
    if (!set) {
      set = new Set();
      this.byPrincipal.set(principal, set);
    }
    set.add(key);
    this.byTriple.set(tripleKey(assignment.properties.principalId, assignment.properties.roleDefinitionId, assignment.properties.scope), key);
  }

  delete(id: string): RoleAssignment | undefined {
    const key = scopeKey(id);
    const existing = this.byId.get(key);
    if (!existing) return undefined;
    this.byId.delete(key);
    this.unindex(key, existing);
    return existing;
  }

  clear(): void {
    this.byId.clear();
    this.byPrincipal.clear();
    this.byTriple.clear();
  }

  ofPrincipal(principalId: string): RoleAssignment[] {
    const keys = this.byPrincipal.get(principalId.toLowerCase());
    if (!keys) return [];
    const out: RoleAssignment[] = [];
    for (const k of keys) {
      const a = this.byId.get(k);
      if (a) out.push(a);
    }
    return out;
  }

  /** The assignment of this role to this principal at exactly this scope, whatever its name. */
  findSame(principalId: string, roleDefinitionIdOrGuid: string, scope: string): RoleAssignment | undefined {
    const key = this.byTriple.get(tripleKey(principalId, roleDefinitionIdOrGuid, scope));
    return key === undefined ? undefined : this.byId.get(key);
  }

  private unindex(key: string, a: RoleAssignment): void {
    this.byPrincipal.get(a.properties.principalId.toLowerCase())?.delete(key);
    const t = tripleKey(a.properties.principalId, a.properties.roleDefinitionId, a.properties.scope);
    if (this.byTriple.get(t) === key) this.byTriple.delete(t);
  }
}
