/** The port to the tenant directory (Entra ID): who a user is, and which groups they belong to. */

export interface DirectoryUser {
  id: string;
  displayName?: string;
  userPrincipalName?: string;
}

export interface Directory {
  getUser(id: string): Promise<DirectoryUser | undefined>;
  /** True when `principalId` is a member of any of `groupIds`, directly or through nested groups. */
  isMemberOfAny(principalId: string, groupIds: readonly string[]): Promise<boolean>;
  /** The subset of `groupIds` the principal belongs to, directly or through nested groups. */
  memberGroups(principalId: string, groupIds: readonly string[]): Promise<string[]>;
  /** Every user in the groups (transitively), for sending approval cards. */
  usersInGroups(groupIds: readonly string[]): Promise<DirectoryUser[]>;
}
