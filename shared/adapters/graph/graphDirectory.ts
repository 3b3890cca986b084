/**
 * Directory over Microsoft Graph with `@microsoft/microsoft-graph-client`. Membership is
 * asked fresh for every decision: a removed approver must not keep approving from a cache.
 */
import type { Client } from '@microsoft/microsoft-graph-client';
import { isGuid } from '../../domain/armIds';
import type { Directory, DirectoryUser, PrincipalType } from '../../ports/directory';
import { NotFoundError } from '../../domain/errors';
import { toAzureError } from '../arm/armErrors';

interface GraphPage<T> {
  value?: T[];
  '@odata.nextLink'?: string;
}

interface GraphObject {
  '@odata.type'?: string;
  id?: string;
  displayName?: string;
  userPrincipalName?: string;
}

/** Graph's `@odata.type` of the directory objects RBAC can assign roles to; anything else (a device, a contact) is not a principal here. */
const PRINCIPAL_TYPES: Record<string, PrincipalType> = {
  '#microsoft.graph.user': 'User',
  '#microsoft.graph.group': 'Group',
  '#microsoft.graph.serviceprincipal': 'ServicePrincipal',
};

/** Stops a runaway nextLink chain; no group we govern has anywhere near this many pages. */
const MAX_PAGES = 1000;

export class GraphDirectory implements Directory {
  constructor(private readonly client: Client) {}

  private async call<T>(what: string, path: string): Promise<T> {
    try {
      return (await this.client.api(path).get()) as T;
    } catch (err) {
      throw toAzureError(err, what);
    }
  }

  private async *pages(what: string, firstPath: string): AsyncIterable<GraphObject[]> {
    let path: string | undefined = firstPath;
    for (let page = 0; path && page < MAX_PAGES; page++) {
      const body: GraphPage<GraphObject> = await this.call<GraphPage<GraphObject>>(what, path);
      yield body.value ?? [];
      path = body['@odata.nextLink'];
    }
  }

  async getUser(id: string): Promise<DirectoryUser | undefined> {
    if (!isGuid(id)) return undefined;
    try {
      const u = await this.call<GraphObject>(`Reading user ${id}`, `/users/${id}?$select=id,displayName,userPrincipalName`);
      return { id: u.id ?? id, displayName: u.displayName, userPrincipalName: u.userPrincipalName };
    } catch (err) {
      if (err instanceof NotFoundError) return undefined;
      throw err;
    }
  }

  async principalType(id: string): Promise<PrincipalType | undefined> {
    if (!isGuid(id)) return undefined;
    try {
      const o = await this.call<GraphObject>(`Reading directory object ${id}`, `/directoryObjects/${id}?$select=id`);
      return PRINCIPAL_TYPES[(o['@odata.type'] ?? '').toLowerCase()];
    } catch (err) {
      if (err instanceof NotFoundError) return undefined;
      throw err;
    }
  }

  async isMemberOfAny(principalId: string, groupIds: readonly string[]): Promise<boolean> {
    return (await this.memberGroups(principalId, groupIds, true)).length > 0;
  }

  async memberGroups(principalId: string, groupIds: readonly string[], stopAtFirst = false): Promise<string[]> {
    if (groupIds.length === 0 || !isGuid(principalId)) return [];
    const wanted = new Set(groupIds.map((g) => g.toLowerCase()));
    const found: string[] = [];
    try {
      for await (const page of this.pages(`Reading groups of ${principalId}`, `/users/${principalId}/transitiveMemberOf?$select=id`)) {
        for (const g of page) {
          const id = g.id?.toLowerCase();
          if (id && wanted.has(id) && !found.includes(id)) found.push(id);
        }
        if (stopAtFirst && found.length > 0) break;
      }
    } catch (err) {
      if (err instanceof NotFoundError) return [];
      throw err;
    }
    return found;
  }

  async usersInGroups(groupIds: readonly string[]): Promise<DirectoryUser[]> {
    const users = new Map<string, DirectoryUser>();
    for (const groupId of groupIds) {
      if (!isGuid(groupId)) continue;
      try {
        for await (const page of this.pages(`Reading members of group ${groupId}`, `/groups/${groupId}/transitiveMembers?$select=id,displayName,userPrincipalName`)) {
          for (const m of page) {
            if (m.id && (m['@odata.type'] ?? '#microsoft.graph.user') === '#microsoft.graph.user') {
              users.set(m.id.toLowerCase(), { id: m.id, displayName: m.displayName, userPrincipalName: m.userPrincipalName });
            }
          }
        }
      } catch (err) {
        if (!(err instanceof NotFoundError)) throw err;
      }
    }
    return [...users.values()];
  }
}
