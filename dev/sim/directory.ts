/**
 * The simulated Entra directory: users, groups (with nested membership) and service
 * principals, keyed by lower-cased object id. Graph answers and ARM principal checks read it.
 */
export interface DirectoryUser {
  kind: 'User';
  id: string;
  displayName: string;
  givenName: string;
  surname: string;
  jobTitle: string;
  userPrincipalName: string;
  mail: string;
}

export interface DirectoryGroup {
  kind: 'Group';
  id: string;
  displayName: string;
  description: string;
  mailNickname: string;
  /** Direct members: users, groups, service principals. */
  memberIds: string[];
}

export interface DirectoryServicePrincipal {
  kind: 'ServicePrincipal';
  id: string;
  displayName: string;
  appId: string;
  servicePrincipalType: 'ManagedIdentity' | 'Application';
}

export type DirectoryObject = DirectoryUser | DirectoryGroup | DirectoryServicePrincipal;
export type PrincipalType = DirectoryObject['kind'];

export class Directory {
  private readonly objects = new Map<string, DirectoryObject>();
  private readonly usersByUpn = new Map<string, DirectoryUser>();
  /** Transitive group ids per member; membership rarely changes, and ARM authorisation asks on every write. */
  private groupsOfCache = new Map<string, string[]>();

  constructor(objects: Iterable<DirectoryObject> = []) {
    for (const o of objects) this.add(o);
  }

  add(object: DirectoryObject): void {
    this.objects.set(object.id.toLowerCase(), object);
    if (object.kind === 'User') this.usersByUpn.set(object.userPrincipalName.toLowerCase(), object);
    this.groupsOfCache = new Map();
  }

  addMember(groupId: string, memberId: string): void {
    const group = this.group(groupId);
    if (!group) throw new Error(`no group ${groupId}`);
    if (!group.memberIds.some((m) => m.toLowerCase() === memberId.toLowerCase())) group.memberIds.push(memberId);
    this.groupsOfCache = new Map();
  }

  removeMember(groupId: string, memberId: string): void {
    const group = this.group(groupId);
    if (!group) return;
    group.memberIds = group.memberIds.filter((m) => m.toLowerCase() !== memberId.toLowerCase());
    this.groupsOfCache = new Map();
  }

  get(id: string): DirectoryObject | undefined {
    return this.objects.get(id.toLowerCase());
  }

  /** A user by object id or by UPN, as Graph's `/users/{id | userPrincipalName}` resolves. */
  user(idOrUpn: string): DirectoryUser | undefined {
    const key = idOrUpn.toLowerCase();
    const byId = this.objects.get(key);
    if (byId) return byId.kind === 'User' ? byId : undefined;
    return this.usersByUpn.get(key);
  }

  group(id: string): DirectoryGroup | undefined {
    const o = this.objects.get(id.toLowerCase());
    return o?.kind === 'Group' ? o : undefined;
  }

  servicePrincipal(id: string): DirectoryServicePrincipal | undefined {
    const o = this.objects.get(id.toLowerCase());
    return o?.kind === 'ServicePrincipal' ? o : undefined;
  }

  all(): DirectoryObject[] {
    return [...this.objects.values()];
  }

  directMembers(group: DirectoryGroup): DirectoryObject[] {
    const out: DirectoryObject[] = [];
    for (const id of group.memberIds) {
      const o = this.get(id);
      if (o) out.push(o);
    }
    return out;
  }

  /** Members at any depth, each once, nested groups included (Graph's `transitiveMembers`). */
  transitiveMembers(group: DirectoryGroup): DirectoryObject[] {
    const seen = new Set<string>([group.id.toLowerCase()]);
    const out: DirectoryObject[] = [];
    const walk = (g: DirectoryGroup): void => {
      for (const member of this.directMembers(g)) {
        const key = member.id.toLowerCase();
        if (seen.has(key)) continue;
        seen.add(key);
        out.push(member);
        if (member.kind === 'Group') walk(member);
      }
    };
    walk(group);
    return out;
  }

  directGroupsOf(memberId: string): DirectoryGroup[] {
    const key = memberId.toLowerCase();
    const out: DirectoryGroup[] = [];
    for (const o of this.objects.values()) {
      if (o.kind === 'Group' && o.memberIds.some((m) => m.toLowerCase() === key)) out.push(o);
    }
    return out;
  }

  /** Ids (lower-cased) of every group the object belongs to, directly or through nesting. */
  transitiveGroupIdsOf(memberId: string): string[] {
    const key = memberId.toLowerCase();
    const cached = this.groupsOfCache.get(key);
    if (cached) return cached;
    const seen = new Set<string>();
    const queue = [key];
    while (queue.length > 0) {
      const current = queue.shift() as string;
      for (const g of this.directGroupsOf(current)) {
        const gk = g.id.toLowerCase();
        if (seen.has(gk)) continue;
        seen.add(gk);
        queue.push(gk);
      }
    }
    const result = [...seen];
    this.groupsOfCache.set(key, result);
    return result;
  }
}
