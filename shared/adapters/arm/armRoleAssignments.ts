/** RoleAssignments over ARM with the real `@azure/arm-authorization` client. */
import type { AuthorizationManagementClient, RoleAssignment } from '@azure/arm-authorization';
import type { LiveAssignment, NewAssignment, RoleAssignments } from '../../ports/roleAssignments';
import { normalizeScope, parseRoleAssignmentId } from '../../domain/armIds';
import { InternalError, NotFoundError } from '../../domain/errors';
import { toAzureError } from './armErrors';

function toLive(ra: RoleAssignment): LiveAssignment {
  if (!ra.id || !ra.name || !ra.principalId || !ra.roleDefinitionId) {
    throw new InternalError(`ARM answered a role assignment without id, name, principalId or roleDefinitionId (${JSON.stringify(ra).slice(0, 300)})`, 'AzureBadAnswer');
  }
  const ref = parseRoleAssignmentId(ra.id);
  return {
    id: normalizeScope(ra.id),
    name: ra.name,
    scope: normalizeScope(ra.scope ?? ref?.scope ?? '/'),
    principalId: ra.principalId,
    principalType: ra.principalType,
    roleDefinitionId: ra.roleDefinitionId,
    createdOn: ra.createdOn?.toISOString(),
    createdBy: ra.createdBy,
    description: ra.description,
  };
}

export class ArmRoleAssignments implements RoleAssignments {
  constructor(private readonly client: AuthorizationManagementClient) {}

  async get(id: string): Promise<LiveAssignment | undefined> {
    try {
      return toLive(await this.client.roleAssignments.getById(normalizeScope(id)));
    } catch (err) {
      const mapped = toAzureError(err, `Reading role assignment ${id}`);
      if (mapped instanceof NotFoundError) return undefined;
      throw mapped;
    }
  }

  async create(a: NewAssignment): Promise<LiveAssignment> {
    try {
      const created = await this.client.roleAssignments.create(normalizeScope(a.scope), a.name, {
        roleDefinitionId: a.roleDefinitionId,
        principalId: a.principalId,
        principalType: a.principalType,
        description: a.description,
      });
      return toLive(created);
    } catch (err) {
      throw toAzureError(err, `Creating role assignment ${a.name} at ${a.scope}`);
    }
  }

  async delete(id: string): Promise<'deleted' | 'gone'> {
    try {
      const res = await this.client.roleAssignments.deleteById(normalizeScope(id));
      // ARM answers 200 with the assignment when it deleted it, 204 (no body) when there was nothing.
      return res && res.id ? 'deleted' : 'gone';
    } catch (err) {
      const mapped = toAzureError(err, `Deleting role assignment ${id}`);
      if (mapped instanceof NotFoundError) return 'gone';
      throw mapped;
    }
  }

  async *listForScope(scope: string, options: { principalId?: string; atScopeOnly?: boolean } = {}): AsyncIterable<LiveAssignment[]> {
    const filters: string[] = [];
    if (options.atScopeOnly) filters.push('atScope()');
    if (options.principalId) filters.push(`principalId eq '${options.principalId.replace(/'/g, '')}'`);
    const pages = this.client.roleAssignments.listForScope(normalizeScope(scope), filters.length ? { filter: filters.join(' and ') } : {}).byPage();
    while (true) {
      let next: IteratorResult<RoleAssignment[]>;
      try {
        next = await pages.next();
      } catch (err) {
        throw toAzureError(err, `Listing role assignments at ${scope}`);
      }
      if (next.done) return;
      yield next.value.map(toLive);
    }
  }
}
