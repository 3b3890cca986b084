/**
 * Who the CLI speaks as against a local instance: a user of the local tenant (API.md), by
 * login name, UPN or object id. Local mode trusts the Easy Auth headers the client sends,
 * so this is how a developer "signs in"; a deployed instance takes a bearer token instead.
 */
import { ADMIN_ROLE } from '../shared/domain/caller';
import { PEOPLE } from './tenant';

export interface LocalUser {
  login: string;
  id: string;
  name: string;
  roles: string[];
}

const LOGINS = ['alice', 'bob', 'carol', 'erin', 'dave', 'mallory'] as const;
export type LocalLogin = (typeof LOGINS)[number];

const localUser = (login: LocalLogin): LocalUser => ({
  login,
  id: PEOPLE[login],
  name: `${login}@contoso.test`,
  // erin holds the AccessManager.Admin app role in the local tenant.
  roles: login === 'erin' ? [ADMIN_ROLE] : [],
});

/** The people of the local tenant by login, as the Easy Auth headers name them (CLI, demo, tests). */
export const LOCAL_USER = Object.fromEntries(LOGINS.map((login) => [login, localUser(login)])) as Record<LocalLogin, LocalUser>;

export const LOCAL_USERS: readonly LocalUser[] = LOGINS.map((login) => LOCAL_USER[login]);

export const DEFAULT_LOCAL_USER = 'erin';

/** The local user named by login (`alice`), UPN (`alice@contoso.test`) or object id; undefined when there is none. */
export function findLocalUser(nameOrId: string): LocalUser | undefined {
  const key = nameOrId.trim().toLowerCase();
  return LOCAL_USERS.find((u) => u.login === key || u.name === key || u.id === key);
}
