/**
 * The ARM and Graph ports over the simulator's own in-memory model (dev/sim: the seeded tenant's
 * role assignments and directory), called in-process: ARM's rules (one assignment per principal,
 * role and scope; listings at, above and below a scope) without a server in between. Failures can
 * be switched on per method to test how use cases meet an outage.
 */
import { randomUUID } from 'node:crypto';
import { ConflictError, TransientError } from '../../shared/domain/errors';
import { normalizeScope, roleAssignmentId } from '../../shared/domain/armIds';
import type { Directory, DirectoryUser, PrincipalType } from '../../shared/ports/directory';
import type { LiveAssignment, NewAssignment, PermissionEntry, RoleAssignments } from '../../shared/ports/roleAssignments';
import { applyingAssignments } from '../../dev/sim/arm/authorize';
import { listedAtScope } from '../../dev/sim/arm/roleAssignmentRules';
import { makeAssignment, SimState } from '../../dev/sim/state';
import type { RoleAssignment } from '../../dev/sim/arm/assignmentStore';

function toLive(a: RoleAssignment): LiveAssignment {
  return {
    id: normalizeScope(a.id),
    name: a.name,
    scope: a.properties.scope,
    principalId: a.properties.principalId,
    principalType: a.properties.principalType,
    roleDefinitionId: a.properties.roleDefinitionId,
    createdOn: a.properties.createdOn,
    ...(a.properties.createdBy ? { createdBy: a.properties.createdBy } : {}),
    updatedOn: a.properties.updatedOn,
    ...(a.properties.updatedBy ? { updatedBy: a.properties.updatedBy } : {}),
    ...(a.properties.description ? { description: a.properties.description } : {}),
    ...(a.properties.condition ? { condition: a.properties.condition } : {}),
  };
}

type Method = 'get' | 'create' | 'delete' | 'listForScope' | 'permissionsAt';

export class SimRoleAssignments implements RoleAssignments {
  /** Methods that fail with a transient error (ARM 503) until cleared. */
  readonly failing = new Set<Method>();
  readonly calls: Record<Method, number> = { get: 0, create: 0, delete: 0, listForScope: 0, permissionsAt: 0 };

  constructor(
    readonly state: SimState,
    private readonly appPrincipalId: string,
    private readonly now: () => Date = () => new Date(),
  ) {}

  private enter(method: Method): void {
    this.calls[method]++;
    if (this.failing.has(method)) throw new TransientError(`ARM is unavailable (${method}); retry later.`, 'AzureUnavailable');
  }

  async get(id: string): Promise<LiveAssignment | undefined> {
    this.enter('get');
    const found = this.state.assignments.get(id);
    return found && toLive(found);
  }

  async create(a: NewAssignment): Promise<LiveAssignment> {
    this.enter('create');
    const existing = this.state.assignments.get(roleAssignmentId(a.scope, a.name));
    if (existing) return toLive(existing);
    if (this.state.assignments.findSame(a.principalId, a.roleDefinitionId, a.scope)) {
      throw new ConflictError(`The role assignment already exists for ${a.principalId} at ${a.scope}.`, 'RoleAssignmentExists');
    }
    const created = makeAssignment({
      scope: a.scope,
      name: a.name || randomUUID(),
      roleDefinitionId: a.roleDefinitionId,
      principalId: a.principalId,
      principalType: a.principalType ?? 'User',
      description: a.description ?? null,
      at: this.now().toISOString(),
      by: this.appPrincipalId,
    });
    this.state.assignments.put(created);
    return toLive(created);
  }

  async delete(id: string): Promise<'deleted' | 'gone'> {
    this.enter('delete');
    return this.state.assignments.delete(id) ? 'deleted' : 'gone';
  }

  async *listForScope(scope: string, options: { principalId?: string; atScopeOnly?: boolean } = {}): AsyncIterable<LiveAssignment[]> {
    this.enter('listForScope');
    const matches = [...this.state.assignments.values()].filter(
      (a) =>
        listedAtScope(a.properties.scope, scope, options.atScopeOnly === true, (s) => this.state.ancestry(s)) &&
        (options.principalId === undefined || a.properties.principalId.toLowerCase() === options.principalId.toLowerCase()),
    );
    yield matches.map(toLive);
  }

  /** What the app's identity may do at the scope, from its assignments there and above (as the simulated ARM answers). */
  async permissionsAt(scope: string): Promise<PermissionEntry[]> {
    this.enter('permissionsAt');
    return applyingAssignments(this.state.rbac(), this.appPrincipalId, scope).flatMap(({ role }) => role.blocks);
  }
}

export class SimDirectory implements Directory {
  constructor(readonly state: SimState) {}

  async getUser(id: string): Promise<DirectoryUser | undefined> {
    const user = this.state.directory.user(id);
    return user && { id: user.id, displayName: user.displayName, userPrincipalName: user.userPrincipalName };
  }

  async principalType(id: string): Promise<PrincipalType | undefined> {
    return this.state.directory.get(id)?.kind;
  }

  async isMemberOfAny(principalId: string, groupIds: readonly string[]): Promise<boolean> {
    return (await this.memberGroups(principalId, groupIds)).length > 0;
  }

  async memberGroups(principalId: string, groupIds: readonly string[]): Promise<string[]> {
    const mine = new Set(this.state.directory.transitiveGroupIdsOf(principalId).map((g) => g.toLowerCase()));
    return groupIds.filter((g) => mine.has(g.toLowerCase()));
  }

  async usersInGroups(groupIds: readonly string[]): Promise<DirectoryUser[]> {
    const users = new Map<string, DirectoryUser>();
    for (const id of groupIds) {
      const group = this.state.directory.group(id);
      if (!group) continue;
      for (const member of this.state.directory.transitiveMembers(group)) {
        if (member.kind === 'User') users.set(member.id, { id: member.id, displayName: member.displayName, userPrincipalName: member.userPrincipalName });
      }
    }
    return [...users.values()];
  }
}
