/**
 * Everything the simulator holds: role assignments, the directory, resources, Teams
 * conversations and request counters. Tests may read and change it directly; `reset()`
 * restores the seed of API.md.
 */
import { isGuid, normalizeScope, roleAssignmentId, roleDefinitionId, scopeKey, subscriptionOf } from '../../shared/domain/armIds';
import { LOCAL_SUBSCRIPTION_ID, LOCAL_TENANT_ID, MANAGEMENT_GROUP, TRAINING_SUBSCRIPTION_ID, UNGOVERNED_SUBSCRIPTION_ID } from '../tenant';
import { randomUUID } from 'node:crypto';
import { AssignmentStore, ROLE_ASSIGNMENT_TYPE, type RoleAssignment } from './arm/assignmentStore';
import type { RbacView } from './arm/authorize';
import { ancestry, type ManagementGroup } from './arm/managementGroups';
import { SimRoleCatalog } from './arm/roleCatalog';
import { Directory, type PrincipalType } from './directory';
import { SEED_ASSIGNMENTS, SEED_SUBSCRIPTIONS, SEED_TIME, seedDirectory, seedResources, seedRoleDefinitionId, type ArmResource } from './seed';
import { TeamsStore, teamsUserId, type TeamsMember } from './teams/store';
import { SimKeyVaults } from './keyvault/store';

export interface SimStats {
  armRequests: number;
  /** ARM calls answered with an injected 429/5xx (the `armFailureRate` knob). */
  armInjectedFailures: number;
  /** ARM calls refused with 429 by the token buckets (the `armThrottle` knob). */
  armThrottled: number;
  graphRequests: number;
  graphInjectedFailures: number;
  connectorRequests: number;
  /** Chat completions answered by the simulated Azure OpenAI endpoint. */
  openaiRequests: number;
}

export interface SeedAssignmentInput {
  scope: string;
  /** Role name, GUID or full role definition id of a built-in or custom role. */
  role: string;
  principalId: string;
  /** Defaults to the principal's kind in the directory, else User. */
  principalType?: PrincipalType;
  /** Defaults to a fresh GUID. */
  name?: string;
  description?: string;
  /** ARM's createdOn (default now): a test's "this access has stood for months". */
  createdOn?: string;
  /** ARM's createdBy (default none, as for assignments made before records began). */
  createdBy?: string;
}

function zeroStats(): SimStats {
  return { armRequests: 0, armInjectedFailures: 0, armThrottled: 0, graphRequests: 0, graphInjectedFailures: 0, connectorRequests: 0, openaiRequests: 0 };
}

export class SimState {
  readonly tenantId = LOCAL_TENANT_ID;
  /** The seed subscription (the single-subscription default of AZURE_SUBSCRIPTION_ID). */
  readonly subscriptionId = LOCAL_SUBSCRIPTION_ID;
  /** Every subscription of the tenant (lower-case ids): the seed one, the training one (both in mg-research) and an ungoverned one. Tests may add more. */
  readonly subscriptions = new Set<string>(SEED_SUBSCRIPTIONS.keys());
  readonly assignments = new AssignmentStore();
  /** Built-in role definitions and the custom roles created since the last reset. */
  readonly roleDefinitions = new SimRoleCatalog();
  /** ARM resources (resource groups, accounts, vaults, containers) keyed by lower-cased id. */
  readonly resources = new Map<string, ArmResource>();
  readonly teams = new TeamsStore();
  /** Management groups by lower-cased name: the tenant root group and `mg-research`, which holds the subscription. */
  readonly managementGroups = new Map<string, ManagementGroup>();
  /** The vaults' data plane: secrets, where each vault listens, where Key Vault events go. */
  readonly keyVaults = new SimKeyVaults();
  directory = new Directory();
  stats: SimStats = zeroStats();
  /** ARM's clock (createdOn, updatedOn): the real one, or the scaled one of a test whose app runs faster. */
  now: () => Date = () => new Date();

  constructor(seed = true) {
    if (seed) this.reset();
    else this.seedHierarchy();
  }

  /** Scope keys at and above `scope` (management groups included), nearest first. */
  ancestry(scope: string): string[] {
    return ancestry(this, scope);
  }

  /** What authorisation reads: assignments, directory, roles and hierarchy. */
  rbac(): RbacView {
    return { assignments: this.assignments, directory: this.directory, roles: this.roleDefinitions, ancestry: (scope) => this.ancestry(scope) };
  }

  private seedHierarchy(): void {
    this.managementGroups.clear();
    this.subscriptions.clear();
    for (const id of SEED_SUBSCRIPTIONS.keys()) this.subscriptions.add(id);
    this.managementGroups.set(LOCAL_TENANT_ID, { name: LOCAL_TENANT_ID, displayName: 'Tenant Root Group', subscriptions: [UNGOVERNED_SUBSCRIPTION_ID] });
    this.managementGroups.set(MANAGEMENT_GROUP.name, { name: MANAGEMENT_GROUP.name, displayName: 'Research', parent: LOCAL_TENANT_ID, subscriptions: [LOCAL_SUBSCRIPTION_ID, TRAINING_SUBSCRIPTION_ID] });
  }

  hasSubscription(id: string): boolean {
    return this.subscriptions.has(id.toLowerCase());
  }

  /**
   * Adds a subscription (with one resource group, `rg-main`) under a management group: the scale
   * benchmark's tenant of many subscriptions.
   */
  addSubscription(id: string, managementGroup: string, resourceGroups: readonly string[] = ['rg-main']): void {
    const sub = id.toLowerCase();
    this.subscriptions.add(sub);
    const group = this.managementGroups.get(managementGroup.toLowerCase());
    if (!group) throw new Error(`unknown management group '${managementGroup}'`);
    if (!group.subscriptions.some((s) => s.toLowerCase() === sub)) group.subscriptions.push(sub);
    for (const rg of resourceGroups) {
      const rgId = `/subscriptions/${sub}/resourceGroups/${rg}`;
      this.resources.set(scopeKey(rgId), { id: rgId, name: rg, type: 'Microsoft.Resources/resourceGroups', location: 'westeurope', tags: {}, properties: { provisioningState: 'Succeeded' } });
    }
  }

  /** Back to the seed: directory, resources, standing assignments, one personal chat per user; counters zeroed. */
  reset(): void {
    this.directory = new Directory(seedDirectory());
    this.seedHierarchy();
    this.resources.clear();
    for (const r of seedResources()) this.resources.set(scopeKey(r.id), r);
    this.keyVaults.clearSecrets();
    this.assignments.clear();
    this.roleDefinitions.clearCustom();
    for (const a of SEED_ASSIGNMENTS) {
      this.assignments.put(
        makeAssignment({
          scope: a.scope,
          name: a.name,
          roleDefinitionId: seedRoleDefinitionId(a.roleName, subscriptionOf(a.scope)),
          principalId: a.principalId,
          principalType: a.principalType,
          description: a.description,
          at: SEED_TIME,
          by: null,
        }),
      );
    }
    this.teams.clear();
    for (const o of this.directory.all()) {
      if (o.kind === 'User') this.teams.personalConversation(this.teamsMemberOf(o.id), this.tenantId);
    }
    this.stats = zeroStats();
  }

  /** Puts an assignment straight into the store: no authorisation, no event (a test's "it already existed"). */
  seedAssignment(input: SeedAssignmentInput): RoleAssignment {
    const role = this.roleDefinitions.find(input.role);
    if (!role) throw new Error(`unknown role '${input.role}'`);
    const name = input.name ?? randomUUID();
    if (!isGuid(name)) throw new Error(`role assignment name '${name}' is not a GUID`);
    const assignment = makeAssignment({
      scope: input.scope,
      name,
      roleDefinitionId: roleDefinitionIdAt(input.scope, role.guid),
      principalId: input.principalId,
      principalType: input.principalType ?? this.directory.get(input.principalId)?.kind ?? 'User',
      description: input.description ?? null,
      at: input.createdOn ?? this.now().toISOString(),
      by: input.createdBy ?? null,
    });
    this.assignments.put(assignment);
    return assignment;
  }

  /** How the connector names a directory user in a conversation. */
  teamsMemberOf(objectId: string): TeamsMember {
    const user = this.directory.user(objectId);
    return {
      id: teamsUserId(objectId),
      aadObjectId: user?.id ?? objectId,
      ...(user ? { name: user.displayName, userPrincipalName: user.userPrincipalName, email: user.mail, tenantId: this.tenantId, userRole: 'user' } : {}),
    };
  }
}

export interface NewAssignment {
  scope: string;
  name: string;
  roleDefinitionId: string;
  principalId: string;
  principalType: PrincipalType;
  description: string | null;
  condition?: string | null;
  conditionVersion?: string | null;
  delegatedManagedIdentityResourceId?: string | null;
  at: string;
  by: string | null;
}

/**
 * The role definition id ARM stores on an assignment: subscription-scoped under a subscription,
 * tenant-level (`/providers/Microsoft.Authorization/roleDefinitions/{guid}`) at a management group.
 */
export function roleDefinitionIdAt(scope: string, guid: string): string {
  const sub = subscriptionOf(scope);
  return sub ? roleDefinitionId(sub, guid) : `/providers/Microsoft.Authorization/roleDefinitions/${guid.toLowerCase()}`;
}

export function makeAssignment(a: NewAssignment): RoleAssignment {
  return {
    id: roleAssignmentId(a.scope, a.name),
    type: ROLE_ASSIGNMENT_TYPE,
    name: a.name,
    properties: {
      scope: normalizeScope(a.scope),
      roleDefinitionId: a.roleDefinitionId,
      principalId: a.principalId,
      principalType: a.principalType,
      condition: a.condition ?? null,
      conditionVersion: a.conditionVersion ?? null,
      description: a.description,
      createdOn: a.at,
      updatedOn: a.at,
      createdBy: a.by,
      updatedBy: a.by,
      delegatedManagedIdentityResourceId: a.delegatedManagedIdentityResourceId ?? null,
    },
  };
}
