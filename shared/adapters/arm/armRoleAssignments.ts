/**
 * RoleAssignments over ARM with the real `@azure/arm-authorization` client. The permissions API
 * at subscription and management group scope has no SDK method: it goes through the same client's
 * pipeline (credential, TLS, retries) as a plain request.
 */
import type { AuthorizationManagementClient, RoleAssignment } from '@azure/arm-authorization';
import { createPipelineRequest } from '@azure/core-rest-pipeline';
import { z } from 'zod';
import type { LiveAssignment, NewAssignment, PermissionEntry, RoleAssignments } from '../../ports/roleAssignments';
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
    updatedOn: ra.updatedOn?.toISOString(),
    updatedBy: ra.updatedBy,
    description: ra.description,
    ...(ra.condition ? { condition: ra.condition } : {}),
  };
}

const permissionsPageSchema = z.object({
  value: z.array(
    z.object({
      actions: z.array(z.string()).default([]),
      notActions: z.array(z.string()).default([]),
      dataActions: z.array(z.string()).default([]),
      notDataActions: z.array(z.string()).default([]),
      condition: z.string().nullish(),
    }),
  ),
  nextLink: z.string().nullish(),
});

/** Stops a runaway nextLink chain: one entry per applying role, never anywhere near this many pages. */
const MAX_PERMISSION_PAGES = 50;

/** A GET through the ARM client's pipeline, answered as JSON; failures mapped like SDK calls. */
export async function armGetJson(client: AuthorizationManagementClient, url: string, what: string): Promise<unknown> {
  let response;
  try {
    response = await client.sendRequest(createPipelineRequest({ url, method: 'GET' }));
  } catch (err) {
    throw toAzureError(err, what);
  }
  let body: unknown;
  try {
    body = response.bodyAsText ? JSON.parse(response.bodyAsText) : undefined;
  } catch {
    body = undefined;
  }
  if (response.status >= 200 && response.status < 300) return body;
  const error = (body as { error?: { code?: string; message?: string } } | undefined)?.error;
  throw toAzureError({ statusCode: response.status, code: error?.code, message: error?.message ?? response.bodyAsText, response: { headers: response.headers } }, what);
}

export class ArmRoleAssignments implements RoleAssignments {
  constructor(
    private readonly client: AuthorizationManagementClient,
    /** ARM's base URL (config ARM_ENDPOINT), for the calls the SDK has no method for. */
    private readonly endpoint: string,
  ) {}

  async permissionsAt(scope: string): Promise<PermissionEntry[]> {
    const entries: PermissionEntry[] = [];
    let url: string | undefined = `${this.endpoint.replace(/\/+$/, '')}${normalizeScope(scope)}/providers/Microsoft.Authorization/permissions?api-version=2022-04-01`;
    for (let page = 0; url && page < MAX_PERMISSION_PAGES; page++) {
      const parsed = permissionsPageSchema.safeParse(await armGetJson(this.client, url, `Reading AccessManager's permissions at ${scope}`));
      if (!parsed.success) throw new InternalError(`ARM answered the permissions of ${scope} in an unknown shape.`, 'AzureBadAnswer');
      entries.push(...parsed.data.value);
      url = parsed.data.nextLink ?? undefined;
    }
    return entries;
  }

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
