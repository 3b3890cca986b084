/** The port to the tenant directory (Entra ID): who a user is, and which groups they belong to. */

export interface DirectoryUser {
  id: string;
  displayName?: string;
  userPrincipalName?: string;
}

/** The kinds of principal Azure RBAC assigns roles to (ARM's `principalType`). */
export type PrincipalType = 'User' | 'Group' | 'ServicePrincipal';

export interface Directory {
  getUser(id: string): Promise<DirectoryUser | undefined>;
  /** What the directory object is, or undefined when the tenant has no such user, group or service principal. */
  principalType(id: string): Promise<PrincipalType | undefined>;
  /** True when `principalId` is a member of any of `groupIds`, directly or through nested groups. */
  isMemberOfAny(principalId: string, groupIds: readonly string[]): Promise<boolean>;
  /** The subset of `groupIds` the principal belongs to, directly or through nested groups. */
  memberGroups(principalId: string, groupIds: readonly string[]): Promise<string[]>;
  /** Every user in the groups (transitively), for sending approval cards. */
  usersInGroups(groupIds: readonly string[]): Promise<DirectoryUser[]>;
}
